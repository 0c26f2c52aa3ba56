"""Approval pins the channel configuration's content-relevant settings and the capping rule set by name
(issue 12 §2, ADR 0003): approve, publish and every launch refuse with a 400 that names the object and
the setting while one differs from what the version pinned; nothing is sent."""

from __future__ import annotations

import pytest

from campaigns.lifecycle import services
from campaigns.models import CampaignStatus, Launch, LaunchOutcome, RunKind
from campaigns.services.runs import run_start
from campaigns.tests.graphs import A, T, campaign_with
from campaigns.tests.lifecycle_helpers import live_run_of
from channels.models import CappingRule, ChannelConfiguration
from channels.services.configurations import capping_rule_save, configuration_update
from channels.tests.conftest import HELD_CONTENT

pytestmark = pytest.mark.django_db


def _email_campaign(catalog, drive, *, schedule: dict | None = None):
    from campaigns.schedules.services import schedule_save

    owner = catalog["admin"]
    campaign = campaign_with(
        owner,
        [
            A("src", "targeting.build_audience", dimension="customer"),
            A("mail", "channel.email", configuration="mail", content=HELD_CONTENT),
            A("end", "flow.end"),
        ],
        [T("src", "mail"), T("mail", "end")],
        name="Spring sale",
    )
    if schedule is not None:
        schedule_save(actor=owner, campaign=campaign, data=schedule)
    drive(run_start, actor=owner, campaign=campaign, kind=RunKind.TEST)
    services.campaign_request_approval(actor=owner, campaign=campaign, comment="Ready")
    return campaign


def _message(response) -> str:
    return " ".join(e["message"] for e in response.json()["errors"])


def test_the_version_pins_the_configurations_content_settings_and_the_rule_set(
    catalog, email_configuration, drive
):
    # given
    CappingRule.objects.create(rule_set="default", channel="email", max_messages=3, period="week")
    campaign = _email_campaign(catalog, drive)
    # then: the configuration's content settings (not its provider settings) and the rule set's rules
    pins = services.latest_version(campaign).document["pins"]
    [configuration] = pins["channel_configurations"]
    assert configuration["name"] == "mail"
    assert configuration["settings"]["from_email"] == "news@shop.test"
    assert configuration["settings"]["tracking_base_url"] == "https://t.shop.test"
    assert "provider_settings" not in configuration["settings"]
    assert pins["capping_rule_sets"] == [{"name": "default", "settings": {"email/week": "3"}}]


def test_approve_refuses_while_a_pinned_configuration_setting_differs(
    catalog, email_configuration, drive, approver, api_as
):
    # given: a campaign in review, then the configuration's sender changes
    campaign = _email_campaign(catalog, drive)
    admin = catalog["admin"]
    configuration_update(
        actor=admin, configuration=email_configuration, data={"from_email": "other@shop.test"}
    )
    # when
    response = api_as(approver).post(f"/api/v1/campaigns/{campaign.pk}/approve/", {}, format="json")
    # then: a 400 naming the configuration and the setting; still in review
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == "pins"
    assert "Channel configuration “mail”: from address changed" in _message(response)
    assert "news@shop.test → other@shop.test" in _message(response)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    # when: the setting is restored, the approval goes through
    email_configuration.refresh_from_db()
    configuration_update(
        actor=admin, configuration=email_configuration, data={"from_email": "news@shop.test"}
    )
    response = api_as(approver).post(f"/api/v1/campaigns/{campaign.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.content


def test_publish_refuses_when_the_capping_rule_set_changed_after_approval(
    catalog, email_configuration, drive, approver, api_as
):
    # given: an approved campaign, then a rule joins the "default" rule set
    campaign = _email_campaign(catalog, drive)
    services.campaign_approve(actor=approver, campaign=campaign)
    capping_rule_save(
        actor=catalog["admin"],
        rule=CappingRule(rule_set="default", channel="email", max_messages=1, period="day"),
    )
    # when
    response = drive(api_as(approver).post, f"/api/v1/campaigns/{campaign.pk}/publish/", {}, format="json")
    # then: refused, naming the rule set and the rule; no live run
    assert response.status_code == 400, response.content
    assert "Capping rule set “default”: the Email rule per Day (UTC) (messages) changed" in _message(response)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED and live_run_of(campaign) is None


def test_a_launch_refuses_when_a_pinned_setting_changed_after_publishing(
    catalog, email_configuration, drive, approver, api_as
):
    # given: a published signal-triggered campaign, then the configuration's sender name changes
    campaign = _email_campaign(catalog, drive, schedule={"kind": "signal", "trigger_interval_seconds": 0})
    services.campaign_approve(actor=approver, campaign=campaign)
    drive(services.campaign_publish, actor=approver, campaign=campaign)
    configuration_update(
        actor=catalog["admin"],
        configuration=ChannelConfiguration.objects.get(name="mail"),
        data={"from_name": "Someone else"},
    )
    # when: a trigger launches it
    response = drive(
        api_as(approver).post,
        f"/api/v1/campaigns/{campaign.pk}/trigger/",
        {"variables": {}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    # then: a 400 naming the configuration and the setting, a failed launch and no run
    assert response.status_code == 400, response.content
    assert "Channel configuration “mail”: from name changed" in response.json()["message"]
    launch = Launch.objects.get(campaign=campaign)
    assert launch.outcome == LaunchOutcome.FAILED and launch.run_id is None
    assert live_run_of(campaign) is None
