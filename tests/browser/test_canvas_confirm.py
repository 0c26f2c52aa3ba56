"""The canvas's "Confirm send": a published one-time email campaign holds its send; an Approver sees the
held activity waiting for them and releases it from the run panel (a real aiosmtpd server receives the
messages); a Manager sees the same waiting state and no button."""

from __future__ import annotations

import pytest

from campaigns.models import RunStatus, TaskStatus
from campaigns.tests.lifecycle_helpers import live_run_of
from channels.tests.conftest import (  # noqa: F401 (fixtures)
    EMAIL_RECIPIENTS,
    catalog,
    email_configuration,
    published_email_campaign,
    smtp_sink,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED_RECIPIENTS = EMAIL_RECIPIENTS


def _run_now(func, *args, **kwargs):
    """Jobs run synchronously in tests (Q_SYNC) and on commit, so publishing needs no capture here."""
    return func(*args, **kwargs)


@pytest.fixture
def held_campaign(catalog, email_configuration, approver):  # noqa: F811
    campaign = published_email_campaign(catalog, approver, _run_now)
    run = live_run_of(campaign)
    assert run.tasks.get(activity_key="mail").status == TaskStatus.PAUSED
    return campaign, run


def _open_canvas(page, live_server, campaign):
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/canvas/")
    page.wait_for_selector(".oc-run-status")


def test_approver_confirms_the_held_send_from_the_canvas(
    page,
    live_server,
    login,
    held_campaign,
    approver,
    smtp_sink,  # noqa: F811 (the imported fixture)
    console_errors,
):
    # given a live run holding its email send, and an Approver on the canvas
    campaign, run = held_campaign
    login(approver)
    _open_canvas(page, live_server, campaign)
    # then the held activity is marked as waiting for them and the run panel offers "Confirm send"
    mark = page.locator(".drawflow-node.oc-send-held .oc-node-status")
    mark.wait_for()
    assert mark.inner_text() == "waiting for you"
    button = page.locator("#oc-run-controls .oc-confirm-send[data-activity='mail']")
    assert button.count() == 1 and smtp_sink.messages == []
    # when they click it
    button.click()
    # then the run state refreshes: the hold is gone and the run finished
    page.wait_for_selector(".oc-run-status[data-status='done']")
    assert page.locator(".oc-confirm-send").count() == 0
    assert page.locator(".drawflow-node.oc-send-held").count() == 0
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    # and the SMTP server received one message per expected recipient, the API shows no hold left
    received = sorted(rcpt.lower() for rcpts, _message in smtp_sink.messages for rcpt in rcpts)
    assert received == sorted(EXPECTED_RECIPIENTS)
    holds = page.request.get(f"{live_server.url}/api/v1/campaigns/{campaign.pk}/holds/").json()
    assert holds["count"] == 0
    assert run.tasks.get(activity_key="mail").status == TaskStatus.DONE
    assert console_errors == []


def test_manager_sees_the_waiting_send_but_no_confirm_button(
    page,
    live_server,
    login,
    held_campaign,
    manager,
    smtp_sink,  # noqa: F811 (the imported fixture)
    console_errors,
):
    # given the same held send, and a Manager on the canvas
    campaign, run = held_campaign
    login(manager)
    _open_canvas(page, live_server, campaign)
    # then the activity shows the waiting state, without a button anywhere
    mark = page.locator(".drawflow-node.oc-send-held .oc-node-status")
    mark.wait_for()
    assert mark.inner_text() == "waiting for confirmation"
    notice = page.locator("#oc-run-controls .oc-hold").inner_text()
    assert "waiting for an Approver or Administrator" in notice
    node = page.locator(".drawflow-node.oc-send-held")
    node.focus()
    node.press("Enter")  # the keyboard way: the generated graph has no positions, so nodes overlap
    page.wait_for_selector("#oc-side-panel .oc-hold")
    assert page.locator(".oc-confirm-send").count() == 0
    # and nothing was sent
    assert smtp_sink.messages == []
    run.refresh_from_db()
    assert run.tasks.get(activity_key="mail").status == TaskStatus.PAUSED
    assert console_errors == []
