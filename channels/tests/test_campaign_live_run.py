"""The campaign change page's "Live run" section: a published campaign sends through a real SMTP server
(aiosmtpd on loopback), recipients open and click through the real tracking endpoints, and the page
shows the counts the reporting selector computes; hidden from a user who may not read delivery
reports."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts import profiles
from accounts.profiles import ProductProfile, Rule, Scope
from campaigns.lifecycle.holds import send_confirm
from campaigns.models import RunStatus
from campaigns.tests.graphs import A, campaign_with
from campaigns.tests.lifecycle_helpers import live_run_of
from channels.reporting import figures
from channels.reporting.live import LIVE_COLUMNS
from channels.tests.conftest import published_email_campaign

pytestmark = pytest.mark.django_db

CONTENT = {
    "subject": "Hi {{ recipient.first_name }}",
    "html": '<p>Hi {{ recipient.first_name }}</p><a href="https://shop.test/sale">Sale</a>',
    "text": "Spring sale, {{ recipient.first_name }}",
}


def _row(page: str, activity_key: str) -> dict[str, str]:
    row = re.search(rf'<tr data-activity="{activity_key}"[^>]*>(.*?)</tr>', page, re.DOTALL).group(1)
    return dict(re.findall(r'<td data-figure="(\w+)">([^<]*)</td>', row))


def _html_to(sink, address: str) -> str:
    return sink.to(address)[0].get_body(("html",)).get_content()


@pytest.fixture
def held_campaign(catalog, email_configuration, approver, drive):
    campaign = published_email_campaign(catalog, approver, drive, content=CONTENT)
    return campaign


def test_the_campaign_page_shows_the_live_runs_counts(held_campaign, smtp_sink, approver, viewer, drive):
    # given a published campaign whose live run holds its email send
    campaign, run = held_campaign, live_run_of(held_campaign)
    client = Client()
    client.force_login(viewer)
    change = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    # then the page shows the waiting run, nothing sent yet, and the script that refreshes it
    page = client.get(change).content.decode()
    assert 'id="oc-live-run"' in page
    assert f'data-status="{RunStatus.PAUSED}">Paused<' in page  # waiting for the confirmation
    assert "No channel activity has sent in this run yet." in page
    assert '"active": true' in page and "channels/live_run.js" in page
    # when the send is confirmed: Bob's server refuses him, the others are accepted
    smtp_sink.refuse["bob@other.test"] = "550 no such user"
    drive(send_confirm, actor=approver, task=run.tasks.get(activity_key="mail"))
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, [(t.activity_key, t.status, t.error) for t in run.tasks.all()]
    # and Ann opens twice and clicks, Cy clicks (images blocked), through the real tracking endpoints
    tracker = Client()
    ann, cy = _html_to(smtp_sink, "ann@example.test"), _html_to(smtp_sink, "cy@example.test")
    pixel = re.search(r'src="https://t\.shop\.test(/t/o/[^"]+)"', ann).group(1)
    assert tracker.get(pixel).status_code == 200 and tracker.get(pixel).status_code == 200
    for html in (ann, cy):
        link = re.search(r'href="https://t\.shop\.test(/t/c/[^"]+)"', html).group(1)
        assert tracker.get(link).status_code == 302
    # then the page shows, for the activity and for the run, the reporting selector's figures
    page = client.get(change).content.decode()
    mail = figures.deliveries_for(actor=viewer, run_id=run.pk, activity_key="mail")
    expected = figures.delivery_report(mail)
    shown = _row(page, "mail")
    assert shown == {key: str(expected[key]) for key, _label in LIVE_COLUMNS}
    assert shown == {
        "targeted": "8",  # customers 1-8
        "excluded": "3",  # no address, invalid address, no consent
        "sent": "4",
        "delivered": "4",
        "hard_bounces": "1",  # Bob, refused with 550
        "soft_bounces": "0",
        "errors": "0",
        "unique_opens": "2",  # Ann (pixel) and Cy (a click proves the open)
        "unique_clicks": "2",
        "pending": "0",
    }
    assert _row(page, "") == shown  # the run's total: one channel activity
    assert ">mail</a>" in page and f'data-status="{RunStatus.DONE}">Done<' in page
    assert f'href="/admin/oc_channels/delivery/report/?run={run.pk}"' in page
    assert '"active": false' in page


def test_the_live_run_is_hidden_without_the_report_permission(held_campaign, viewer, monkeypatch):
    # given a Viewer whose profile may read campaigns but not deliveries (a policy rule read first)
    monkeypatch.setattr(
        profiles,
        "POLICY",
        (Rule(ProductProfile.VIEWER, ("oc_channels.delivery",), ("view",), Scope.NONE), *profiles.POLICY),
    )
    client = Client()
    client.force_login(viewer)
    # when / then: the campaign page opens without the section, and the report API refuses too
    response = client.get(f"/admin/campaigns/campaign/{held_campaign.pk}/change/")
    assert response.status_code == 200 and b"Spring sale" in response.content
    assert b'id="oc-live-run"' not in response.content and b"live_run.js" not in response.content
    run = live_run_of(held_campaign)
    assert client.get(f"/api/v1/deliveries/report/?run={run.pk}").status_code == 403


def test_a_campaign_without_a_live_run_says_so(catalog, viewer):
    # given a draft campaign
    source = A("src", "targeting.build_audience", dimension="customer")
    campaign = campaign_with(catalog["admin"], [source], [])
    client = Client()
    client.force_login(viewer)
    # when
    page = client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    # then
    assert 'id="oc-live-run"' in page and "No live run yet." in page and "live_run.js" not in page
