"""Approval pins what the approved version targets (issue 12 §2, ADR 0003).

End to end: a campaign is test-run, requested for approval and approved; then the owner edits the saved
filter (or the rule-based audience) it references; the published live run still targets exactly the
approved test run's count, because it compiles from the definitions the version pinned. Static
audiences are read at launch. Requesting approval after an edit of a referenced definition is refused
until a new test run, and private pinned definitions stay hidden from users who may not view them.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from audiences.query.services import rule_count
from audiences.saved.services import (
    audience_create,
    audience_update,
    saved_filter_create,
    saved_filter_update,
)
from campaigns.lifecycle import services
from campaigns.models import RunKind, RunStatus, VersionState
from campaigns.services.runs import run_start
from campaigns.tests.graphs import A, T, campaign_with
from campaigns.tests.lifecycle_helpers import GOLD, SILVER, live_run_of

pytestmark = pytest.mark.django_db

TIER_IS = {"type": "condition", "field": "tier", "operator": "equal", "parameter": "tier"}
TIER_IS_NOT = {"type": "condition", "field": "tier", "operator": "not_equal", "parameter": "tier"}


def _count(run, key: str) -> int:
    result = run.results.get(source_key=key)
    assert result.activated
    return result.row_count


def _test_run(drive, campaign, actor):
    run = drive(run_start, actor=actor, campaign=campaign, kind=RunKind.TEST)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, [(t.activity_key, t.status, t.error) for t in run.tasks.all()]
    return run


def _approve(drive, campaign, owner, approver):
    test = _test_run(drive, campaign, owner)
    services.campaign_request_approval(actor=owner, campaign=campaign, comment="Ready")
    services.campaign_approve(actor=approver, campaign=campaign, comment="Fine")
    return test


def _publish_and_run(drive, campaign, approver):
    drive(services.campaign_publish, actor=approver, campaign=campaign)
    live = live_run_of(campaign)
    assert live.status == RunStatus.DONE, [(t.activity_key, t.status, t.error) for t in live.tasks.all()]
    return live


def _tier_filters(owner, dimension):
    """ "Tier" (a parameter) and "Chosen tier", which references it: a nested reference."""
    inner = saved_filter_create(
        actor=owner,
        name="Tier",
        dimension=dimension,
        rule=TIER_IS,
        parameters=[{"name": "tier", "type": "string", "default": "silver"}],
    )
    outer = saved_filter_create(
        actor=owner,
        name="Chosen tier",
        dimension=dimension,
        rule={"type": "saved_filter", "id": inner.pk, "parameters": {"tier": "gold"}},
    )
    return inner, outer


def test_filter_path_live_run_targets_the_approved_test_runs_count_after_the_filter_is_edited(
    shop, manager, approver, drive
):
    # given: a campaign whose Build audience references a saved filter that references another one
    dimension = shop.dimensions["customers"]
    inner, outer = _tier_filters(manager, dimension)
    campaign = campaign_with(
        manager,
        [
            A(
                "target",
                "targeting.build_audience",
                dimension="customers",
                rule={"type": "saved_filter", "id": outer.pk},
            ),
            A("done", "flow.end"),
        ],
        [T("target", "done")],
    )
    test = _approve(drive, campaign, manager, approver)
    approved = _count(test, "target")
    # when: the owner edits the nested filter after approval (it now keeps every other tier)
    saved_filter_update(actor=manager, saved_filter=inner, data={"rule": TIER_IS_NOT})
    now = rule_count(actor=manager, dimension=dimension, rule={"type": "saved_filter", "id": outer.pk})
    assert now != approved  # the edit really changes what the filter keeps today
    campaign.refresh_from_db()
    assert campaign.status == "approved"
    live = _publish_and_run(drive, campaign, approver)
    # then: the live run targets what was approved, from the pinned definitions
    assert _count(live, "target") == approved
    version = services.published_version(campaign)
    pinned = {p["name"]: p for p in version.document["pins"]["saved_filters"]}
    assert pinned["Tier"]["rule"] == TIER_IS and pinned["Tier"]["parameters"][0]["default"] == "silver"
    assert pinned["Chosen tier"]["rule"]["parameters"] == {"tier": "gold"}


@pytest.mark.parametrize("path", ["read_audience", "in_audience"])
def test_audience_path_live_run_targets_the_approved_test_runs_count_after_the_audience_is_edited(
    shop, manager, approver, drive, path
):
    # given: a rule-based audience, read by a Read audience activity or referenced inside a rule
    dimension = shop.dimensions["customers"]
    club = audience_create(actor=manager, name="Gold club", dimension=dimension, kind="rule", rule=GOLD)
    if path == "read_audience":
        first = A("target", "targeting.read_audience", audience="Gold club")
    else:
        rule = {"type": "in_audience", "audience": club.pk}
        first = A("target", "targeting.build_audience", dimension="customers", rule=rule)
    campaign = campaign_with(manager, [first, A("done", "flow.end")], [T("target", "done")])
    test = _approve(drive, campaign, manager, approver)
    approved = _count(test, "target")
    # when: the owner edits the audience's rule after approval
    audience_update(actor=manager, audience=club, data={"rule": SILVER})
    assert rule_count(actor=manager, dimension=dimension, rule=SILVER) != approved
    live = _publish_and_run(drive, campaign, approver)
    # then
    assert _count(live, "target") == approved
    pinned = services.published_version(campaign).document["pins"]["audiences"]
    assert [(p["name"], p["kind"], p["rule"]) for p in pinned] == [("Gold club", "rule", GOLD)]


def test_a_static_audience_is_read_at_launch(shop, manager, approver, drive):
    # given: a static audience (gold customers now) referenced by the campaign, approved
    from audiences.query.services import rule_select
    from audiences.saved.services import audience_replace_members

    dimension = shop.dimensions["customers"]
    frozen = audience_create(actor=manager, name="Gold list", dimension=dimension, kind="static", rule=GOLD)
    campaign = campaign_with(
        manager,
        [A("target", "targeting.read_audience", audience="Gold list"), A("done", "flow.end")],
        [T("target", "done")],
    )
    test = _approve(drive, campaign, manager, approver)
    # when: its members are replaced after approval
    audience_replace_members(
        audience=frozen, select=rule_select(dimension=dimension, rule=SILVER), actor=manager
    )
    live = _publish_and_run(drive, campaign, approver)
    # then: the live run reads the members as they are at launch (the documented choice)
    silver = rule_count(actor=manager, dimension=dimension, rule=SILVER)
    assert _count(live, "target") == silver != _count(test, "target")


def test_request_approval_refuses_after_an_edit_of_a_referenced_filter_until_a_new_test_run(
    shop, manager, drive, api_as
):
    # given: a clean test run, then an edit of the referenced filter
    dimension = shop.dimensions["customers"]
    inner, outer = _tier_filters(manager, dimension)
    campaign = campaign_with(
        manager,
        [
            A(
                "target",
                "targeting.build_audience",
                dimension="customers",
                rule={"type": "saved_filter", "id": outer.pk},
            ),
            A("done", "flow.end"),
        ],
        [T("target", "done")],
    )
    _test_run(drive, campaign, manager)
    saved_filter_update(actor=manager, saved_filter=inner, data={"rule": TIER_IS_NOT})
    # when: approval is requested through the API
    response = api_as(manager).post(f"/api/v1/campaigns/{campaign.pk}/request-approval/", {}, format="json")
    # then: a clear 400 naming the edited filter, and nothing frozen
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"][0]["field"] == "test_run"
    assert "Saved filter “Tier” was edited after the latest test run" in body["errors"][0]["message"]
    assert not campaign.versions.exists()
    # when: a new test run, then the request
    _test_run(drive, campaign, manager)
    version = services.campaign_request_approval(actor=manager, campaign=campaign)
    assert version.state == VersionState.PENDING


def test_request_approval_service_names_an_edited_audience(shop, manager, drive):
    dimension = shop.dimensions["customers"]
    audience_create(actor=manager, name="Gold club", dimension=dimension, kind="rule", rule=GOLD)
    campaign = campaign_with(
        manager,
        [A("target", "targeting.read_audience", audience="Gold club"), A("done", "flow.end")],
        [T("target", "done")],
    )
    _test_run(drive, campaign, manager)
    from audiences.saved.models import Audience

    audience_update(actor=manager, audience=Audience.objects.get(name="Gold club"), data={"rule": SILVER})
    with pytest.raises(ValidationError) as refused:
        services.campaign_request_approval(actor=manager, campaign=campaign)
    assert "Audience “Gold club”" in refused.value.message_dict["test_run"][0]


def test_private_pinned_definitions_are_hidden_from_who_may_not_view_them(
    shop, manager, approver, viewer, drive, api_as
):
    # given: an approved version pinning the owner's private filters
    dimension = shop.dimensions["customers"]
    _inner, outer = _tier_filters(manager, dimension)
    campaign = campaign_with(
        manager,
        [
            A(
                "target",
                "targeting.build_audience",
                dimension="customers",
                rule={"type": "saved_filter", "id": outer.pk},
            ),
            A("done", "flow.end"),
        ],
        [T("target", "done")],
    )
    _approve(drive, campaign, manager, approver)
    url = f"/api/v1/campaigns/{campaign.pk}/versions/1/"
    # when: the owner and a Viewer read the version
    mine = api_as(manager).get(url).json()["document"]["pins"]["saved_filters"]
    theirs = api_as(viewer).get(url).json()["document"]["pins"]["saved_filters"]
    # then: the owner sees the definitions, the Viewer only that something is hidden
    assert {p["name"] for p in mine} == {"Tier", "Chosen tier"}
    assert all(p == {"id": p["id"], "hidden": True} for p in theirs) and len(theirs) == 2


def test_the_version_admin_page_hides_private_pinned_definitions(shop, manager, approver, drive, client):
    # given: an approved version pinning the owner's private filters
    from campaigns.models import CampaignVersion

    dimension = shop.dimensions["customers"]
    _inner, outer = _tier_filters(manager, dimension)
    campaign = campaign_with(
        manager,
        [
            A(
                "target",
                "targeting.build_audience",
                dimension="customers",
                rule={"type": "saved_filter", "id": outer.pk},
            ),
            A("done", "flow.end"),
        ],
        [T("target", "done")],
    )
    _approve(drive, campaign, manager, approver)
    version = CampaignVersion.objects.get(campaign=campaign)
    url = f"/admin/campaigns/campaignversion/{version.pk}/change/"
    # when: the Approver (who may not view the owner's private filters) opens the version in the admin
    client.force_login(approver)
    response = client.get(url)
    # then: the page shows that definitions are hidden, not the definitions
    assert response.status_code == 200
    page = response.content.decode()
    assert "Chosen tier" not in page and "hidden" in page
    # and the stored version still holds the definitions (the read-only page never saves)
    version.refresh_from_db()
    assert {p["name"] for p in version.document["pins"]["saved_filters"]} == {"Tier", "Chosen tier"}
