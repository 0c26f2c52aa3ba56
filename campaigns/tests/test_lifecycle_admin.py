"""The lifecycle in the admin (Django test client, no browser): buttons on the campaign change page
shown only to whom the state machine allows, posting them moves the campaign through the services,
and the schedule page with the next 10 launch times. Also every profile on the two new pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.profiles import ProductProfile
from campaigns.models import CampaignSchedule, CampaignStatus
from campaigns.tests.lifecycle_helpers import gold_campaign, in_review

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def buttons(client, campaign) -> set[str]:
    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200
    return set(re.findall(r'class="oc-lifecycle-([a-z_]+)"', page.content.decode()))


def post(client, campaign, action, **data):
    url = reverse("admin:campaigns_campaign_lifecycle", args=[campaign.pk, action])
    return client.post(url, data)


def test_a_manager_sees_request_approval_but_never_approve_or_publish(shop, make_user):
    # given a Manager's draft, then the same campaign in review
    manager = make_user(ProductProfile.MANAGER)
    campaign = gold_campaign(manager)
    # when / then
    assert buttons(client_for(manager), campaign) == {"request_approval", "duplicate"}
    in_review(campaign, manager)
    shown = buttons(client_for(manager), campaign)
    assert not shown & {"approve", "request_changes", "publish"}


def test_an_approver_approves_and_publishes_from_the_change_page(
    shop, make_user, django_capture_on_commit_callbacks
):
    # given a campaign in review with a daily schedule
    manager, approver = make_user(ProductProfile.MANAGER), make_user(ProductProfile.APPROVER)
    campaign = gold_campaign(manager)
    CampaignSchedule.objects.create(campaign=campaign, kind="daily", rule={"time": "09:00"}, timezone="UTC")
    in_review(campaign, manager)
    client = client_for(approver)
    # then the approver sees the review buttons and no publish yet
    assert {"approve", "request_changes"} <= buttons(client, campaign)
    assert "publish" not in buttons(client, campaign)
    # when approving, then publishing
    assert post(client, campaign, "approve", comment="Good").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED
    assert "publish" in buttons(client, campaign) and "approve" not in buttons(client, campaign)
    post(client, campaign, "publish")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    # then pause, resume, stop follow the table
    assert {"pause", "close", "stop", "back_to_draft"} <= buttons(client, campaign)
    post(client, campaign, "pause")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED and "resume" in buttons(client, campaign)
    post(client, campaign, "stop")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.STOPPED
    # an Approver may not archive (delete action): no button
    assert "archive" not in buttons(client, campaign)


def test_a_refused_post_changes_nothing_and_says_why(shop, make_user):
    # given a campaign in review, and its Manager who forges an approve post
    manager = make_user(ProductProfile.MANAGER)
    campaign = gold_campaign(manager)
    in_review(campaign, manager)
    client = client_for(manager)
    # when
    response = post(client, campaign, "approve")
    # then
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    page = client.get(response.url)
    assert "may not approve" in page.content.decode()


def test_duplicate_button_opens_the_new_draft(shop, make_user):
    manager = make_user(ProductProfile.MANAGER)
    campaign = gold_campaign(manager)
    response = post(client_for(manager), campaign, "duplicate")
    copy_id = int(response.url.rstrip("/").split("/")[-2])
    assert copy_id != campaign.pk
    assert response.url == reverse("admin:campaigns_campaign_change", args=[copy_id])


def test_schedule_page_saves_and_previews_ten_launch_times(shop, make_user):
    # given a Manager's draft
    manager = make_user(ProductProfile.MANAGER)
    campaign = gold_campaign(manager)
    client = client_for(manager)
    url = reverse("admin:campaigns_campaign_schedule", args=[campaign.pk])
    # when saving a monthly "second Tuesday at 09:00 Europe/Paris"
    response = client.post(
        url,
        {
            "kind": "monthly",
            "rule": '{"time": "09:00", "weekday": 1, "nth": 2}',
            "timezone": "Europe/Paris",
            "parameters": "[]",
            "trigger_interval_seconds": "0",
        },
    )
    # then
    assert response.status_code == 302, response.context["form"].errors
    schedule = CampaignSchedule.objects.get(campaign=campaign)
    assert schedule.kind == "monthly" and schedule.timezone == "Europe/Paris"
    page = client.get(url).content.decode()
    local_times = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', page)
    assert len(local_times) == 10
    assert all("T09:00:00+0" in t for t in local_times)  # 09:00 in Paris, winter (+01) and summer (+02)


def test_schedule_page_names_a_bad_field(shop, make_user):
    manager = make_user(ProductProfile.MANAGER)
    campaign = gold_campaign(manager)
    url = reverse("admin:campaigns_campaign_schedule", args=[campaign.pk])
    response = client_for(manager).post(
        url,
        {
            "kind": "daily",
            "rule": '{"time": "09:00"}',
            "timezone": "Mars/Olympus",
            "parameters": "[]",
            "trigger_interval_seconds": "0",
        },
    )
    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    assert not CampaignSchedule.objects.filter(campaign=campaign).exists()


# Every profile on the two per-object pages (tests/role_matrix_lifecycle.py points here).
PAGE_ACCESS = {
    # role: (GET schedule, POST schedule, POST pause on a draft)
    "anonymous": (302, 302, 302),
    ProductProfile.ADMINISTRATOR.value: (200, 302, 302),
    ProductProfile.APPROVER.value: (200, 403, 302),
    ProductProfile.MANAGER.value: (200, 403, 302),
    ProductProfile.VIEWER.value: (200, 403, 302),
}


@pytest.mark.parametrize("role", sorted(PAGE_ACCESS))
def test_every_profile_on_the_schedule_and_lifecycle_pages(role, shop, make_user):
    # given a campaign owned by another Manager
    owner = make_user(ProductProfile.MANAGER, username="the-owner")
    campaign = gold_campaign(owner)
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(role))
    schedule_url = reverse("admin:campaigns_campaign_schedule", args=[campaign.pk])
    get_status, post_status, pause_status = PAGE_ACCESS[role]
    # when / then
    assert client.get(schedule_url).status_code == get_status
    body = {
        "kind": "daily",
        "rule": '{"time": "09:00"}',
        "timezone": "UTC",
        "parameters": "[]",
        "trigger_interval_seconds": "0",
    }
    assert client.post(schedule_url, body).status_code == post_status
    assert CampaignSchedule.objects.filter(campaign=campaign).exists() == (
        role == ProductProfile.ADMINISTRATOR.value
    )
    assert post(client, campaign, "pause").status_code == pause_status
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT  # refused by the table or the profile
