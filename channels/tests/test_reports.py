"""Report figures on a known scenario: the formulas of docs/reporting.md, through the selector, the API,
the admin page (with the vendored Chart.js) and CSV."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from channels.delivery.sender import send_delivery
from channels.models import EventKind, LedgerEntry, SuppressionEntry, TrackingEvent
from channels.reporting import figures
from channels.tests.conftest import prepared_delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(catalog, campaign, email_configuration, smtp_sink):
    SuppressionEntry.objects.create(channel="email", address="gus@example.test", reason="complaint")
    smtp_sink.refuse["hal@example.test"] = "550 no such user"
    delivery = prepared_delivery(catalog, campaign, [1, 2, 3, 4, 5, 6, 7, 8])
    send_delivery(delivery.pk)
    rows = {e.recipient_key: e for e in LedgerEntry.objects.filter(delivery=delivery)}
    now = timezone.now()

    def event(key, kind, url=""):
        e = rows[key]
        TrackingEvent.objects.create(
            delivery=delivery, entry=e, kind=kind, url=url, occurred_at=now, profile_key=e.profile_key
        )

    event("1", EventKind.OPEN)
    event("1", EventKind.OPEN)
    event("1", EventKind.CLICK, "https://shop.test/a")
    event("1", EventKind.CLICK, "https://shop.test/a")
    event("2", EventKind.CLICK, "https://shop.test/b")  # a click without a recorded open counts as opened
    event("3", EventKind.OPEN)
    event("3", EventKind.SOFT_BOUNCE)  # reported later by the provider
    event("2", EventKind.UNSUBSCRIBE)
    return delivery


def test_figures_follow_the_documented_formulas(scenario, administrator):
    report = figures.full_report(
        figures.deliveries_for(actor=administrator, campaign_id=scenario.campaign_id)
    )
    f = report["figures"]
    assert f["targeted"] == 8
    assert f["excluded_by_reason"] == {
        "no_address": 1,
        "invalid_address": 1,
        "no_consent": 1,
        "suppressed_complaint": 1,
    }
    assert (f["sent"], f["hard_bounces"], f["soft_bounces"], f["delivered"], f["errors"]) == (3, 1, 1, 2, 0)
    assert (f["opens"], f["unique_opens"], f["clicks"], f["unique_clicks"]) == (3, 3, 3, 2)
    assert f["click_through_rate"] == 1.0  # 2 unique clickers / 2 delivered
    assert f["click_to_open_rate"] == round(2 / 3, 4)
    assert f["unsubscribes"] == 1 and f["complaints"] == 0
    assert {r["domain"]: r["sent"] for r in report["by_domain"]} == {"example.test": 2, "other.test": 1}
    assert report["by_link"][0] == {"url": "https://shop.test/a", "clicks": 2, "unique_clicks": 1}


def test_same_figures_through_api_admin_and_csv(scenario, viewer, api_as):
    api = api_as(viewer).get(f"/api/v1/deliveries/report/?campaign={scenario.campaign_id}")
    assert api.status_code == 200 and api.json()["figures"]["delivered"] == 2
    client = Client()
    client.force_login(viewer)
    page = client.get(f"/admin/oc_channels/delivery/report/?campaign={scenario.campaign_id}")
    assert page.status_code == 200
    assert b"vendor/chartjs-4.6.1/chart.umd.min.js" in page.content and b"cdn" not in page.content.lower()
    assert b'id="fig-delivered">2<' in page.content
    csv = client.get(f"/admin/oc_channels/delivery/report/?campaign={scenario.campaign_id}&format=csv")
    assert "figures,delivered,2," in csv.content.decode()
