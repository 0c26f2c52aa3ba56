"""Triggers under pressure: the per-user request rate (throttle scope ``trigger``) answers 429 with
Retry-After before any work, and two requests racing with the same Idempotency-Key start one run."""

from __future__ import annotations

import threading

import pytest
from rest_framework.test import APIClient

from campaigns.lifecycle import services
from campaigns.lifecycle.api import TriggerThrottle
from campaigns.models import Launch, Run, RunKind
from campaigns.schedules.services import schedule_save
from campaigns.tests.lifecycle_helpers import approved, gold_campaign


def _signal_campaign(owner, approver):
    campaign = gold_campaign(owner, name="Signalled")
    schedule_save(actor=owner, campaign=campaign, data={"kind": "signal", "trigger_interval_seconds": 0})
    approved(campaign, owner, approver)
    services.campaign_publish(actor=approver, campaign=campaign)
    return campaign


@pytest.mark.django_db
def test_the_trigger_rate_per_user_answers_429_before_any_work(shop, manager, approver, api_as, monkeypatch):
    # given a published signal campaign without a campaign interval, and a rate of 2 requests a minute
    monkeypatch.setattr(TriggerThrottle, "THROTTLE_RATES", {"trigger": "2/min"})
    campaign = _signal_campaign(manager, approver)
    url = f"/api/v1/campaigns/{campaign.pk}/trigger/"
    api = api_as(approver)
    # when
    answers = [
        api.post(url, {"variables": {}}, format="json", HTTP_IDEMPOTENCY_KEY=f"k{n}").status_code
        for n in range(3)
    ]
    # then the third is refused by the rate, and started nothing
    assert answers[2] == 429 and answers[0] in (201, 409)
    assert not Launch.objects.filter(campaign=campaign, idempotency_key="k2").exists()


def test_the_trigger_scope_is_the_one_declared_in_settings():
    from django.conf import settings

    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) == {"trigger"}


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_the_same_key_start_one_run(shop, manager, approver):
    # given
    campaign = _signal_campaign(manager, approver)
    url = f"/api/v1/campaigns/{campaign.pk}/trigger/"
    barrier = threading.Barrier(2)
    answers: list = []

    def post():
        from django.db import connections

        client = APIClient()
        client.force_authenticate(approver)
        try:
            barrier.wait(timeout=10)
            response = client.post(url, {"variables": {}}, format="json", HTTP_IDEMPOTENCY_KEY="same")
            answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then one launch, one run, the same answer twice
    assert len(answers) == 2
    assert answers[0] == answers[1] and answers[0][0] == 201
    assert Launch.objects.filter(campaign=campaign, idempotency_key="same").count() == 1
    assert Run.objects.filter(campaign=campaign, kind=RunKind.LIVE).count() == 1
