"""The last active Administrator stays one, nobody demotes, deactivates or deletes themselves by
accident, and user, profile and token changes reach the audit trail (issue 12 §6). Through the API,
the admin's real forms, and the services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import User
from accounts.profiles import ProductProfile
from accounts.services import user_set_profiles
from audit.models import DomainEvent
from conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db
ADMIN = ProductProfile.ADMINISTRATOR.value


def _admin_client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def _change_form(user, **overrides) -> dict:
    """The admin change form of ``user`` as posted, with ``overrides``."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "groups": [g.pk for g in user.groups.all()],
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def _superuser(make_user):
    root = make_user(is_superuser=True)
    User.objects.filter(pk=root.pk).update(is_staff=True)
    return root


def _holds_admin(user) -> bool:
    return user.groups.filter(name=ADMIN).exists()


def test_the_api_refuses_to_demote_oneself_with_a_clear_message(administrator, make_user, api_as):
    # given: another Administrator exists, so it is not about being the last one
    make_user(ProductProfile.ADMINISTRATOR)
    # when
    response = api_as(administrator).put(
        f"/api/v1/users/{administrator.pk}/profiles/", {"profiles": ["Viewer"]}, format="json"
    )
    # then
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "profiles" and "your own Administrator profile" in error["message"]
    assert _holds_admin(administrator)


def test_the_last_active_administrator_cannot_be_demoted_by_a_superuser(administrator, make_user, api_as):
    # given: a superuser without the profile (e.g. from createsuperuser) and one Administrator
    root = make_user(is_superuser=True)
    # when
    response = api_as(root).put(
        f"/api/v1/users/{administrator.pk}/profiles/", {"profiles": []}, format="json"
    )
    # then
    assert response.status_code == 400
    assert "last active Administrator" in response.json()["errors"][0]["message"]
    assert _holds_admin(administrator)


def test_an_administrator_may_demote_another_when_one_remains(administrator, make_user, api_as):
    # given
    other = make_user(ProductProfile.ADMINISTRATOR)
    # when
    response = api_as(administrator).put(
        f"/api/v1/users/{other.pk}/profiles/", {"profiles": ["Manager"]}, format="json"
    )
    # then: allowed, and told in the trail
    assert response.status_code == 200 and response.json()["profiles"] == ["Manager"]
    event = DomainEvent.objects.get(kind="user.profiles_changed", object_id=str(other.pk))
    assert event.actor == administrator
    assert event.changes == [{"field": "profiles", "old": [ADMIN], "new": ["Manager"]}]


def test_an_inactive_administrator_does_not_count(administrator, make_user):
    # given: the only other Administrator is deactivated
    make_user(ProductProfile.ADMINISTRATOR, is_active=False)
    root = make_user(is_superuser=True)
    # when / then
    with pytest.raises(ValidationError, match="last active Administrator"):
        user_set_profiles(actor=root, user=administrator, profiles=["Viewer"])


def test_the_admin_form_refuses_demoting_oneself_on_the_field(administrator, make_user):
    # given
    make_user(ProductProfile.ADMINISTRATOR)
    viewer_group = Group.objects.get(name="Viewer")
    # when
    response = _admin_client(administrator).post(
        f"/admin/accounts/user/{administrator.pk}/change/",
        _change_form(administrator, groups=[viewer_group.pk]),
    )
    # then: the form comes back with the message on the profiles field; nothing changed
    assert response.status_code == 200
    assert "your own Administrator profile" in str(response.context["adminform"].form.errors["groups"])
    assert _holds_admin(administrator)


def test_the_admin_form_refuses_deactivating_the_last_administrator_or_oneself(administrator, make_user):
    # given: a superuser (who can use the admin) and the one Administrator
    root = _superuser(make_user)
    # when
    last = _admin_client(root).post(
        f"/admin/accounts/user/{administrator.pk}/change/", _change_form(administrator, is_active="")
    )
    own = _admin_client(administrator).post(
        f"/admin/accounts/user/{administrator.pk}/change/", _change_form(administrator, is_active="")
    )
    # then
    assert "last active Administrator" in str(last.context["adminform"].form.errors["is_active"])
    assert "your own account" in str(own.context["adminform"].form.errors["is_active"])
    administrator.refresh_from_db()
    assert administrator.is_active


def test_the_admin_records_user_changes_and_profile_changes(administrator, make_user):
    # given
    manager = make_user(ProductProfile.MANAGER)
    approver_group = Group.objects.get(name="Approver")
    # when
    response = _admin_client(administrator).post(
        f"/admin/accounts/user/{manager.pk}/change/",
        _change_form(manager, email="new@example.test", groups=[approver_group.pk]),
    )
    # then
    assert response.status_code == 302
    changed = DomainEvent.objects.get(kind="user.changed", object_id=str(manager.pk))
    assert changed.changes == [{"field": "email", "old": manager.email, "new": "new@example.test"}]
    profiles = DomainEvent.objects.get(kind="user.profiles_changed", object_id=str(manager.pk))
    assert profiles.changes == [{"field": "profiles", "old": ["Manager"], "new": ["Approver"]}]
    assert {changed.actor, profiles.actor} == {administrator}


def test_deleting_the_last_administrator_or_oneself_is_refused_in_the_admin(administrator, make_user):
    # given
    root = _superuser(make_user)
    viewer = make_user(ProductProfile.VIEWER)
    # when: the single delete page, and the bulk action with the last Administrator in it
    single = _admin_client(root).post(
        f"/admin/accounts/user/{administrator.pk}/delete/", {"post": "yes"}, follow=True
    )
    bulk = _admin_client(root).post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [administrator.pk, viewer.pk], "post": "yes"},
        follow=True,
    )
    own = _admin_client(administrator).post(
        f"/admin/accounts/user/{administrator.pk}/delete/", {"post": "yes"}, follow=True
    )
    # then: each page explains why, nobody is deleted
    assert "no active Administrator" in single.content.decode()
    assert "no active Administrator" in bulk.content.decode()
    assert "your own account" in own.content.decode()
    assert User.objects.filter(pk__in=[administrator.pk, viewer.pk]).count() == 2
    assert not DomainEvent.objects.filter(kind="user.deleted").exists()


def test_deleting_another_user_is_recorded(administrator, make_user):
    # given
    viewer = make_user(ProductProfile.VIEWER)
    # when
    response = _admin_client(administrator).post(f"/admin/accounts/user/{viewer.pk}/delete/", {"post": "yes"})
    # then
    assert response.status_code == 302 and not User.objects.filter(pk=viewer.pk).exists()
    event = DomainEvent.objects.get(kind="user.deleted")
    assert (event.object_id, event.object_repr, event.actor) == (
        str(viewer.pk),
        viewer.username,
        administrator,
    )


def test_user_creation_and_token_creation_are_recorded(administrator, api_client):
    # given: a user made in the admin
    response = _admin_client(administrator).post(
        "/admin/accounts/user/add/",
        {
            "username": "newcomer",
            "password1": "a-long-Passw0rd!",
            "password2": "a-long-Passw0rd!",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    # when: they fetch a token twice (the second time it exists)
    for _ in range(2):
        answer = api_client.post(
            "/api/v1/auth/token/", {"username": "newcomer", "password": "a-long-Passw0rd!"}
        )
        assert answer.status_code == 200 and answer.json()["token"]
    # then
    created = DomainEvent.objects.get(kind="user.created", object_id=str(newcomer.pk))
    assert created.actor == administrator
    token = DomainEvent.objects.get(kind="token.created")
    assert (token.object_id, token.actor, token.data) == (str(newcomer.pk), newcomer, {"how": "api"})
    assert "Token" not in str(token.data) and answer.json()["token"] not in str(token.__dict__)


def test_accounts_events_are_read_only_by_who_may_see_users(administrator, viewer, make_user, api_as):
    # given
    other = make_user(ProductProfile.ADMINISTRATOR)
    user_set_profiles(actor=administrator, user=other, profiles=["Manager"])
    # when
    as_viewer = api_as(viewer).get("/api/v1/audit-events/", {"kind": "user.profiles_changed"})
    as_admin = api_as(administrator).get("/api/v1/audit-events/", {"kind": "user.profiles_changed"})
    # then
    assert as_admin.json()["count"] == 1
    assert as_viewer.status_code == 200 and as_viewer.json()["count"] == 0


def test_the_administrator_group_cannot_be_deleted_or_renamed(administrator):
    # given
    group = Group.objects.get(name=ADMIN)
    client = _admin_client(administrator)
    # when
    deleted = client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})
    renamed = client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "Nobody", "permissions": []})
    # then
    assert "Product profiles cannot be deleted: Administrator" in deleted.content.decode()
    assert Group.objects.filter(pk=group.pk, name=ADMIN).exists()
    assert renamed.status_code == 302 and _holds_admin(administrator)


def test_a_password_change_in_the_admin_is_recorded_without_values(administrator, make_user):
    # given
    viewer = make_user(ProductProfile.VIEWER)
    # when
    response = _admin_client(administrator).post(
        f"/admin/accounts/user/{viewer.pk}/password/",
        {"password1": "Another-l0ng-pass", "password2": "Another-l0ng-pass", "usable_password": "true"},
    )
    # then
    assert response.status_code == 302
    event = DomainEvent.objects.get(kind="user.changed", object_id=str(viewer.pk))
    assert event.changes == [{"field": "password", "old": None, "new": None}]
    assert "Another" not in str(event.__dict__)
