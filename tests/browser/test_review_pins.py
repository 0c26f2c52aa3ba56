"""The review page's "What this version pins" (issue 12 §2): an Approver sees every saved filter,
audience, channel configuration and capping rule set the version pins, with when it was pinned; a
static audience says its members are read at launch with today's count; a private filter of the
requester the Approver may not view is counted, never named."""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}
TIER_IS = {"type": "condition", "field": "tier", "operator": "equal", "parameter": "tier"}


@pytest.fixture
def in_review(make_user):
    from audiences.saved.services import audience_create, saved_filter_create
    from campaigns.lifecycle.services import campaign_request_approval
    from campaigns.models import RunKind
    from campaigns.services.runs import run_start
    from campaigns.tests.graphs import A, T, campaign_with
    from campaigns.tests.lifecycle_helpers import execute_queued
    from campaigns.tests.shop import build_shop
    from channels.models import CappingRule
    from channels.services.configurations import configuration_create

    admin = make_user(ProductProfile.ADMINISTRATOR, username="pins-admin")
    owner = make_user(ProductProfile.MANAGER, username="pins-owner")
    shop = build_shop(admin)
    dimension = shop.dimensions["customers"]
    tier = saved_filter_create(
        actor=owner,
        name="Tier",
        dimension=dimension,
        rule=TIER_IS,
        parameters=[{"name": "tier", "type": "string", "default": "gold"}],
        visibility="shared",
    )
    chosen = saved_filter_create(
        actor=owner,
        name="Chosen tier",
        dimension=dimension,
        rule={"type": "saved_filter", "id": tier.pk, "parameters": {"tier": "gold"}},
        visibility="shared",
    )
    private = saved_filter_create(
        actor=owner,
        name="Owner's secret exclusions",
        dimension=dimension,
        rule={"type": "condition", "field": "tier", "operator": "not_equal", "value": "bronze"},
    )
    vip = audience_create(
        actor=owner, name="VIP list", dimension=dimension, kind="static", rule=GOLD, visibility="shared"
    )
    configuration_create(
        actor=admin,
        data={
            "name": "newsletter",
            "channel": "email",
            "provider": "smtp",
            "provider_settings": {"host": "127.0.0.1", "port": 2525, "timeout": 5},
            "from_email": "news@shop.test",
            "from_name": "Shop",
            "transactional": True,
            "dimension": dimension,
        },
    )
    CappingRule.objects.create(rule_set="default", channel="email", max_messages=3, period="week")
    rule = {
        "type": "group",
        "op": "and",
        "children": [
            {"type": "saved_filter", "id": chosen.pk},
            {"type": "saved_filter", "id": private.pk},
            {"type": "in_audience", "audience": vip.pk},
        ],
    }
    content = {"subject": "Hi {{ recipient.first_name }}", "text": "News for {{ recipient.first_name }}"}
    campaign = campaign_with(
        owner,
        [
            A("target", "targeting.build_audience", dimension="customers", rule=rule),
            A("mail", "channel.email", configuration="newsletter", content=content, category="transactional"),
            A("done", "flow.end"),
        ],
        [T("target", "mail"), T("mail", "done")],
        name="Gold newsletter",
    )
    execute_queued(run_start(actor=owner, campaign=campaign, kind=RunKind.TEST))
    campaign_request_approval(actor=owner, campaign=campaign, comment="Ready")
    vip.refresh_from_db()
    return campaign, vip


def test_the_review_page_shows_what_the_version_pins(
    page, live_server, login, in_review, approver, console_errors, screenshot
):
    # given a campaign in review, and an Approver who may not view the owner's private filter
    campaign, vip = in_review
    login(approver)
    # when
    page.goto(f"{live_server.url}/admin/campaigns/campaignreview/{campaign.pk}/change/")
    table = page.locator("table#pins")
    table.wait_for()
    screenshot("review-pins")
    # then: one row per pinned object with its kind and when it was pinned
    rows = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]
    by_name = {row[0]: row for row in rows if len(row) == 4}
    assert by_name["Chosen tier"][1] == "Saved filter"
    assert by_name["Tier"][1] == "Saved filter"
    assert by_name["VIP list"][1] == "Static audience"
    assert by_name["VIP list"][3] == f"Members are read at launch: {vip.member_count} now."
    assert by_name["newsletter"][1] == "Channel configuration"
    assert by_name["default"][1] == "Capping rule set"
    assert all(row[2] and row[2] != "—" for row in by_name.values())
    # the private filter is counted, never named
    assert "Owner's secret exclusions" not in page.content()
    assert table.locator("tr.hidden-pins").inner_text().strip() == (
        "1 private pinned definition you may not view."
    )
    # the message previews are not mistaken for the admin's flash messages
    assert page.locator("ul.messagelist").count() == 0
    # what changed reads as labels and an outline, not as Python or JSON literals
    changes = page.locator("table#changes")
    assert changes.locator("tbody tr").count() > 0
    assert "{'" not in changes.inner_text() and '{"' not in changes.inner_text()
    assert "activity:" not in changes.inner_text()
    counts = page.locator("table#counts").inner_text()
    assert "→" in counts
    assert console_errors == []
