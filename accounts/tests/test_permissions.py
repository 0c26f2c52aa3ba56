"""restrict() narrows, never widens, and fails closed."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.permissions import can, restrict
from accounts.profiles import POLICY, ProductProfile, Scope, scope_for
from accounts.services import object_share
from campaigns.models import Campaign
from campaigns.services import campaign_create

pytestmark = pytest.mark.django_db


def test_the_four_profile_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {p.value for p in ProductProfile}


def test_manager_edits_only_own_or_shared_campaigns(manager, make_user):
    # given
    other = make_user(ProductProfile.MANAGER)
    mine = campaign_create(actor=manager, name="mine")
    theirs = campaign_create(actor=other, name="theirs")
    # when
    editable = restrict(manager, "change", Campaign.objects.all())
    # then
    assert list(editable) == [mine]
    assert can(manager, "change", mine) and not can(manager, "change", theirs)
    # all campaigns stay readable for a Manager
    assert set(restrict(manager, "view", Campaign.objects.all())) == {mine, theirs}


def test_model_wide_permission_does_not_widen_object_lists(manager, make_user):
    # given: someone hands the Manager group the model-wide change permission (guardian's trap)
    other = make_user(ProductProfile.MANAGER)
    theirs = campaign_create(actor=other, name="theirs")
    Group.objects.get(name="Manager").permissions.add(Permission.objects.get(codename="change_campaign"))
    manager.refresh_from_db()
    # then: the list stays narrowed to granted objects
    assert not restrict(manager, "change", Campaign.objects.all()).exists()
    assert not can(manager, "change", theirs)


def test_sharing_with_a_group_gives_its_members_edit_rights(manager, make_user):
    # given
    owner = make_user(ProductProfile.MANAGER)
    team = Group.objects.create(name="Spring team")
    manager.groups.add(team)
    manager._oc_profiles = None
    campaign = campaign_create(actor=owner, name="shared")
    assert not can(manager, "change", campaign)
    # when
    object_share(actor=owner, obj=campaign, actions=["change"], groups=[team])
    # then
    assert can(manager, "change", campaign)
    assert not can(manager, "share", campaign)
    assert list(restrict(manager, "change", Campaign.objects.all())) == [campaign]


def test_only_owner_or_administrator_may_share(manager, administrator, make_user):
    from django.core.exceptions import PermissionDenied

    owner = make_user(ProductProfile.MANAGER)
    campaign = campaign_create(actor=owner, name="c")
    with pytest.raises(PermissionDenied):
        object_share(actor=manager, obj=campaign, actions=["view"], users=[manager])
    object_share(actor=administrator, obj=campaign, actions=["change"], users=[manager])
    assert can(manager, "change", campaign)


@pytest.mark.parametrize("user_kind", ["anonymous", "inactive", "no_profile"])
def test_fails_closed_for_users_without_standing(user_kind, make_user, administrator):
    from django.contrib.auth.models import AnonymousUser

    campaign_create(actor=administrator, name="c")
    user = {
        "anonymous": lambda: AnonymousUser(),
        "inactive": lambda: make_user(ProductProfile.ADMINISTRATOR, is_active=False),
        "no_profile": lambda: make_user(None),
    }[user_kind]()
    assert not restrict(user, "view", Campaign.objects.all()).exists()


def test_unknown_action_reaches_nothing(viewer, administrator):
    campaign_create(actor=administrator, name="c")
    assert not restrict(viewer, "frobnicate", Campaign.objects.all()).exists()
    assert scope_for(ProductProfile.VIEWER, "campaigns.campaign", "frobnicate") is Scope.NONE


def test_preview_permission_goes_to_administrators_and_approvers():
    from accounts.permissions import can_preview_personal_data

    assert scope_for(ProductProfile.APPROVER, "accounts.user", "preview_personal_data") is Scope.ALL
    assert scope_for(ProductProfile.MANAGER, "accounts.user", "preview_personal_data") is Scope.NONE
    assert scope_for(ProductProfile.VIEWER, "accounts.user", "preview_personal_data") is Scope.NONE
    assert not can_preview_personal_data(None)


def test_profile_groups_carry_the_django_permissions_the_policy_implies():
    approver = Group.objects.get(name="Approver")
    codenames = set(approver.permissions.values_list("codename", flat=True))
    assert {"approve_campaign", "publish_campaign", "view_campaign", "preview_personal_data"} <= codenames
    assert "change_campaign" not in codenames
    viewer = Group.objects.get(name="Viewer")
    assert not viewer.permissions.exclude(codename__startswith="view_").exists()
    assert len(POLICY) > 0
