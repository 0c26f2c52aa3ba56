"""Saved filters: create with parameters, apply, copy without changing the saved one, favourites,
private visibility through restrict(), and fields in use protected from removal."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.permissions import can, restrict
from accounts.services import object_share
from audiences.catalog import database
from audiences.catalog import services as catalog
from audiences.query import services as rules
from audiences.saved import services
from audiences.saved.models import SavedFilter
from audiences.tests.rules_fixtures import make_shop

OLDER = {"type": "condition", "field": "age", "operator": "greater", "parameter": "min_age"}


@pytest.fixture
def shop(administrator):
    return make_shop(administrator)


def ids(shop, rule, actor=None) -> set[int]:
    select = rules.rule_select(dimension=shop["dimension"], rule=rule, actor=actor)
    return {r[0] for r in database.fetch_all(select)}


@pytest.mark.django_db
def test_apply_with_parameters_and_copy_does_not_change_the_saved_filter(shop, manager):
    # given
    saved = services.saved_filter_create(
        actor=manager,
        name="Older than",
        dimension=shop["dimension"],
        rule=OLDER,
        parameters=[{"name": "min_age", "type": "integer", "default": 30}],
    )
    # when
    applied = services.saved_filter_apply(actor=manager, saved_filter=saved, parameters={"min_age": 50})
    copy = services.saved_filter_copy(actor=manager, saved_filter=saved)
    copy["operator"] = "less"
    # then
    assert ids(shop, applied, manager) == {c["id"] for c in shop["data"]["customer"] if (c["age"] or 0) > 50}
    assert ids(shop, {"type": "saved_filter", "id": saved.pk}, manager) == {
        c["id"] for c in shop["data"]["customer"] if (c["age"] or 0) > 30
    }
    saved.refresh_from_db()
    assert saved.rule == OLDER


@pytest.mark.django_db
def test_bad_parameter_values_and_unknown_parameters_name_their_path(shop, manager):
    saved = services.saved_filter_create(
        actor=manager,
        name="p",
        dimension=shop["dimension"],
        rule=OLDER,
        parameters=[{"name": "min_age", "type": "integer"}],
    )
    rule = {
        "type": "group",
        "children": [{"type": "saved_filter", "id": saved.pk, "parameters": {"min_age": "x", "other": 1}}],
    }
    paths = sorted(e.path for e in rules.rule_validate(dimension=shop["dimension"], rule=rule, actor=manager))
    assert paths == ["children[0].parameters.min_age", "children[0].parameters.other"]


@pytest.mark.django_db
def test_invalid_rule_is_refused_with_paths(shop, manager):
    with pytest.raises(ValidationError) as raised:
        services.saved_filter_create(
            actor=manager,
            name="bad",
            dimension=shop["dimension"],
            rule={"type": "condition", "field": "nope", "operator": "equal", "value": 1},
        )
    assert "rule.field" in raised.value.message_dict


@pytest.mark.django_db
def test_private_filters_are_seen_by_owner_shared_users_and_administrators(shop, make_user, administrator):
    # given
    owner, other, viewer = make_user("Manager"), make_user("Manager"), make_user("Viewer")
    private = services.saved_filter_create(
        actor=owner,
        name="mine",
        dimension=shop["dimension"],
        rule=OLDER,
        parameters=[{"name": "min_age", "type": "integer", "default": 1}],
    )
    shared = services.saved_filter_create(
        actor=owner,
        name="ours",
        dimension=shop["dimension"],
        rule=OLDER,
        parameters=[{"name": "min_age", "type": "integer", "default": 1}],
        visibility="shared",
    )

    # then
    def visible(user):
        return set(restrict(user, "view", SavedFilter.objects.all()).values_list("name", flat=True))

    assert visible(owner) == {"mine", "ours"}
    assert visible(other) == {"ours"}
    assert visible(viewer) == {"ours"}
    assert visible(administrator) == {"mine", "ours"}
    assert not can(other, "change", shared)
    # when shared with the viewer
    object_share(actor=owner, obj=private, actions=["view"], users=[viewer])
    assert visible(viewer) == {"mine", "ours"}
    with pytest.raises(PermissionDenied):
        services.saved_filter_update(actor=other, saved_filter=shared, data={"name": "taken"})


@pytest.mark.django_db
def test_favourites_toggle(shop, manager, viewer):
    saved = services.saved_filter_create(
        actor=manager,
        name="f",
        dimension=shop["dimension"],
        rule=OLDER,
        parameters=[{"name": "min_age", "type": "integer", "default": 1}],
        visibility="shared",
    )
    assert services.saved_filter_favourite_toggle(actor=viewer, saved_filter=saved) is True
    assert services.saved_filter_favourite_toggle(actor=viewer, saved_filter=saved) is False


@pytest.mark.django_db
def test_a_field_used_by_a_saved_filter_cannot_be_removed(shop, manager, administrator):
    services.saved_filter_create(
        actor=manager,
        name="by age",
        dimension=shop["dimension"],
        rule=OLDER,
        parameters=[{"name": "min_age", "type": "integer", "default": 1}],
    )
    age = shop["customer"].fields.get(name="age")
    with pytest.raises(ValidationError) as raised:
        catalog.field_remove(actor=administrator, field=age)
    assert "by age" in str(raised.value)


@pytest.mark.django_db
def test_a_saved_filter_that_references_itself_is_an_error(shop, manager):
    saved = services.saved_filter_create(
        actor=manager,
        name="loop",
        dimension=shop["dimension"],
        rule=OLDER,
        parameters=[{"name": "min_age", "type": "integer", "default": 1}],
    )
    SavedFilter.objects.filter(pk=saved.pk).update(rule={"type": "saved_filter", "id": saved.pk})

    errors = rules.rule_validate(
        dimension=shop["dimension"], rule={"type": "saved_filter", "id": saved.pk}, actor=manager
    )
    assert errors and "itself" in errors[0].message


@pytest.mark.django_db
def test_api_crud_favourite_and_apply(shop, api_as, manager, viewer):
    client = api_as(manager)
    created = client.post(
        "/api/v1/saved-filters/",
        {
            "name": "Adults",
            "dimension": shop["dimension"].pk,
            "rule": OLDER,
            "visibility": "shared",
            "parameters": [{"name": "min_age", "type": "integer", "default": 18}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api_as(viewer).post(f"/api/v1/saved-filters/{pk}/favourite/").json() == {"favourite": True}
    listed = api_as(viewer).get("/api/v1/saved-filters/").json()
    assert listed["results"][0]["favourite"] is True
    applied = client.post(
        f"/api/v1/saved-filters/{pk}/apply/", {"parameters": {"min_age": 40}}, format="json"
    )
    assert applied.json()["rule"] == {"type": "saved_filter", "id": pk, "parameters": {"min_age": 40}}
    assert (
        api_as(viewer).patch(f"/api/v1/saved-filters/{pk}/", {"name": "x"}, format="json").status_code == 403
    )
