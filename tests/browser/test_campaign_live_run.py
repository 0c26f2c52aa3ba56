"""The campaign page's "Live run" counts refresh by themselves: the page is open while the live run holds
its email send; the send is confirmed and a real SMTP server (aiosmtpd on loopback) receives the
messages; the numbers on the open page change to the reporting selector's, without a reload and
without console errors, and the polling stops once the run is done."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from campaigns.lifecycle.holds import send_confirm
from campaigns.models import RunStatus, TaskStatus
from campaigns.tests.lifecycle_helpers import live_run_of
from channels import admin_campaign
from channels.reporting import figures
from channels.reporting.live import LIVE_COLUMNS
from channels.tests.conftest import (  # noqa: F401 (fixtures)
    catalog,
    email_configuration,
    published_email_campaign,
    smtp_sink,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def _run_now(func, *args, **kwargs):
    """Jobs run synchronously in tests (Q_SYNC) and on commit, so publishing needs no capture here."""
    return func(*args, **kwargs)


def test_the_live_counts_update_on_the_open_campaign_page(
    page,
    live_server,
    login,
    catalog,  # noqa: F811 (the imported fixture)
    email_configuration,  # noqa: F811
    smtp_sink,  # noqa: F811
    approver,
    viewer,
    console_errors,
    screenshot,
    monkeypatch,
):
    # given a published campaign whose live run holds its send, and a Viewer on the campaign page
    monkeypatch.setattr(admin_campaign, "POLL_SECONDS", 1)
    campaign = published_email_campaign(catalog, approver, _run_now)
    run = live_run_of(campaign)
    assert run.tasks.get(activity_key="mail").status == TaskStatus.PAUSED
    login(viewer)
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/")
    panel = page.locator("#oc-live-run")
    expect(panel.locator(".oc-live-run-status")).to_have_attribute("data-status", RunStatus.PAUSED)
    expect(panel.locator(".oc-live-empty")).to_be_visible()
    # when the send is confirmed (in this process) while the page stays open
    send_confirm(actor=approver, task=run.tasks.get(activity_key="mail"))
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and len(smtp_sink.messages) == 5
    # then the page's numbers become the reporting selector's, the run shows as done, polling stops
    expected = figures.delivery_report(figures.deliveries_for(actor=viewer, run_id=run.pk))
    row = panel.locator('tbody tr[data-activity="mail"]')
    expect(row.locator('td[data-figure="sent"]')).to_have_text("5", timeout=15_000)
    for key, _label in LIVE_COLUMNS:
        expect(row.locator(f'td[data-figure="{key}"]')).to_have_text(str(expected[key]))
        expect(panel.locator(f'.oc-live-total td[data-figure="{key}"]')).to_have_text(str(expected[key]))
    expect(row.locator('td[data-field="status"]')).to_have_text("Done")
    expect(panel.locator(".oc-live-run-status")).to_have_text("Done")
    expect(panel).to_have_attribute("data-settled", "true", timeout=10_000)
    assert expected["targeted"] == 8 and expected["excluded"] == 3 and expected["pending"] == 0
    assert panel.locator(".oc-live-empty").count() == 0
    screenshot("campaign-live-run")
    assert console_errors == []
