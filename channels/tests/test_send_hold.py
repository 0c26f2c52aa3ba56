"""End to end: a published one-time live campaign holds its email send until a user allowed to confirm
sends confirms it through the API; then the run goes on and a real SMTP server (aiosmtpd on loopback)
receives exactly the expected messages, once."""

from __future__ import annotations

import pytest

from campaigns.models import CampaignStatus, RunStatus, TaskStatus
from campaigns.tests.lifecycle_helpers import live_run_of
from channels.models import Delivery, LedgerEntry
from channels.tests.conftest import EMAIL_RECIPIENTS, published_email_campaign

pytestmark = pytest.mark.django_db

EXPECTED_RECIPIENTS = EMAIL_RECIPIENTS


def test_a_held_send_goes_out_only_after_an_approver_confirms_it(
    catalog, email_configuration, smtp_sink, drive, api_as, approver, manager
):
    # given a one-time (as soon as possible) campaign with an email activity, published
    campaign = published_email_campaign(catalog, approver, drive)
    run = live_run_of(campaign)
    # then the email activity waits and the SMTP server received nothing
    mail_task = run.tasks.get(activity_key="mail")
    assert mail_task.status == TaskStatus.PAUSED
    assert smtp_sink.messages == [] and not Delivery.objects.filter(run_id=run.pk).exists()
    held = api_as(approver).get(f"/api/v1/campaigns/{campaign.pk}/holds/").json()
    assert [h["id"] for h in held["results"]] == [mail_task.pk]
    confirm = f"/api/v1/campaigns/{campaign.pk}/holds/{mail_task.pk}/confirm/"
    # a Manager may not confirm
    assert api_as(manager).post(confirm).status_code == 403
    assert smtp_sink.messages == []
    # when an Approver confirms through the API (jobs run in this process)
    response = drive(api_as(approver).post, confirm)
    # then the run finishes and the server received exactly one message per expected recipient
    assert response.status_code == 204
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, [(t.activity_key, t.status, t.error) for t in run.tasks.all()]
    received = sorted(rcpt for rcpts, _message in smtp_sink.messages for rcpt in rcpts)
    assert sorted(a.lower() for a in received) == sorted(EXPECTED_RECIPIENTS)
    subjects = {message["Subject"] for _rcpts, message in smtp_sink.messages}
    assert subjects == {"Hi Ann", "Hi Bob", "Hi <Cy>", "Hi Gus", "Hi Hal"}
    delivery = Delivery.objects.get(run_id=run.pk, activity_key="mail")
    assert LedgerEntry.objects.filter(delivery=delivery, state="sent").count() == 5
    # and nothing waits any more; the one-time campaign completes once the tick settles it
    assert api_as(approver).get(f"/api/v1/campaigns/{campaign.pk}/holds/").json()["count"] == 0
    from campaigns.schedules.tick import settle_finished

    settle_finished()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
