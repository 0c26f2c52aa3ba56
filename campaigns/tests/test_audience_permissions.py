"""A campaign reads saved audiences as its owner may: another user's private audience is unknown to it,
at save time (as the acting user) and when it runs (as the owner)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.profiles import ProductProfile
from audiences.saved.services import audience_create
from campaigns.engine import rules
from campaigns.tests.graphs import A, T, campaign_with
from campaigns.tests.test_activities import cond, ends


@pytest.mark.django_db
def test_a_managers_campaign_cannot_read_another_users_private_audience(shop, make_user):
    # given
    owner, manager = make_user(ProductProfile.MANAGER), make_user(ProductProfile.MANAGER)
    audience_create(
        actor=owner,
        name="Private silver",
        dimension=shop.dimensions["customers"],
        kind="static",
        rule=cond("tier", "equal", "silver"),
        visibility="private",
    )
    graph = (
        [A("read", "targeting.read_audience", audience="Private silver"), *ends("e1")],
        [T("read", "e1")],
    )
    # when / then: the same error as a missing audience
    with pytest.raises(ValidationError) as private:
        campaign_with(manager, *graph)
    with pytest.raises(ValidationError) as missing:
        campaign_with(manager, [A("read", "targeting.read_audience", audience="Nope"), *ends("e1")], graph[1])
    assert str(private.value).replace("Private silver", "X") == str(missing.value).replace("Nope", "X")
    assert rules.audience_get("Private silver", actor=manager) is None
    assert rules.audience_get("Private silver", actor=None) is None
    assert rules.audience_get("Private silver", actor=owner) is not None
    # and the owner's own campaign reads it
    campaign_with(owner, *graph)
