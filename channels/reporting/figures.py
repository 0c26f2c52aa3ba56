"""The report figures of a set of deliveries (a campaign, a channel activity, a run, or one delivery).

Every figure is one aggregate query over the ledger or the event table, grouped in the database; the
formulas are written out in docs/reporting.md and mirrored by the keys below.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour

from accounts.permissions import restrict
from channels.models import Delivery, EventKind, LedgerEntry, LedgerState, TrackingEvent


def deliveries_for(*, actor, campaign_id=None, run_id=None, activity_key=None, delivery_id=None) -> QuerySet:
    """The deliveries ``actor`` may see, narrowed by the given filters (proofs never count)."""
    qs = restrict(actor, "view", Delivery.objects.filter(is_proof=False))
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    if run_id is not None:
        qs = qs.filter(run_id=run_id)
    if activity_key:
        qs = qs.filter(activity_key=activity_key)
    if delivery_id is not None:
        qs = qs.filter(pk=delivery_id)
    return qs


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def delivery_report(deliveries: QuerySet) -> dict:
    ids = deliveries.values("pk")
    ledger = LedgerEntry.objects.filter(delivery__in=ids)
    events = TrackingEvent.objects.filter(delivery__in=ids)
    states = dict(ledger.values_list("state").annotate(n=Count("id")).order_by())
    excluded_by_reason = dict(
        events.filter(kind=EventKind.EXCLUDED).values_list("reason").annotate(n=Count("id")).order_by()
    )
    per_message = events.exclude(entry=None).aggregate(
        opens=Count("id", filter=Q(kind=EventKind.OPEN)),
        unique_opens=Count("entry", filter=Q(kind__in=[EventKind.OPEN, EventKind.CLICK]), distinct=True),
        clicks=Count("id", filter=Q(kind=EventKind.CLICK)),
        unique_clicks=Count("entry", filter=Q(kind=EventKind.CLICK), distinct=True),
        hard_bounces=Count("entry", filter=Q(kind=EventKind.HARD_BOUNCE), distinct=True),
        soft_bounces=Count("entry", filter=Q(kind=EventKind.SOFT_BOUNCE), distinct=True),
        bounced=Count(
            "entry", filter=Q(kind__in=[EventKind.HARD_BOUNCE, EventKind.SOFT_BOUNCE]), distinct=True
        ),
        receipts=Count("entry", filter=Q(kind=EventKind.DELIVERED), distinct=True),
        unsubscribes=Count("entry", filter=Q(kind=EventKind.UNSUBSCRIBE), distinct=True),
        complaints=Count("entry", filter=Q(kind=EventKind.COMPLAINT), distinct=True),
    )
    ledger_rows = sum(states.values())
    throttled = states.get(LedgerState.THROTTLED, 0)
    excluded = sum(excluded_by_reason.values())
    targeted = ledger_rows + excluded - throttled  # a throttled row is both in the ledger and excluded
    sent_ok = states.get(LedgerState.SENT, 0)
    # Bounces reported after an accepted send (webhooks) turn a sent message into a bounced one.
    bounced_after_send = (
        events.filter(kind__in=[EventKind.HARD_BOUNCE, EventKind.SOFT_BOUNCE], entry__state=LedgerState.SENT)
        .values("entry")
        .distinct()
        .count()
    )
    delivered = sent_ok - bounced_after_send
    errors_by_reason = dict(
        ledger.filter(state__in=[LedgerState.FAILED, LedgerState.UNKNOWN])
        .values_list("error")
        .annotate(n=Count("id"))
        .order_by("-n")[:50]
    )
    figures = {
        "targeted": targeted,
        "excluded": excluded,
        "excluded_by_reason": excluded_by_reason,
        "sent": sent_ok,
        "pending": sum(
            states.get(s, 0) for s in (LedgerState.PENDING, LedgerState.CLAIMED, LedgerState.SENDING)
        ),
        "delivered": delivered,
        "delivery_receipts": per_message["receipts"],
        "hard_bounces": per_message["hard_bounces"],
        "soft_bounces": per_message["soft_bounces"],
        "errors": ledger.filter(state=LedgerState.FAILED)
        .exclude(events__kind__in=[EventKind.HARD_BOUNCE, EventKind.SOFT_BOUNCE])
        .count()
        + states.get(LedgerState.UNKNOWN, 0),
        "unknown": states.get(LedgerState.UNKNOWN, 0),
        "errors_by_reason": errors_by_reason,
        "opens": per_message["opens"],
        "unique_opens": per_message["unique_opens"],
        "clicks": per_message["clicks"],
        "unique_clicks": per_message["unique_clicks"],
        "unsubscribes": per_message["unsubscribes"],
        "complaints": per_message["complaints"],
    }
    figures["delivery_rate"] = _ratio(delivered, sent_ok)
    figures["open_rate"] = _ratio(figures["unique_opens"], delivered)
    figures["click_through_rate"] = _ratio(figures["unique_clicks"], delivered)
    figures["click_to_open_rate"] = _ratio(figures["unique_clicks"], figures["unique_opens"])
    return figures


def by_domain(deliveries: QuerySet) -> list[dict]:
    ids = deliveries.values("pk")
    rows = (
        LedgerEntry.objects.filter(delivery__in=ids, channel="email")
        .values("domain")
        .annotate(
            sent=Count("id", filter=Q(state=LedgerState.SENT), distinct=True),
            failed=Count("id", filter=Q(state=LedgerState.FAILED), distinct=True),
            opened=Count("id", filter=Q(events__kind__in=[EventKind.OPEN, EventKind.CLICK]), distinct=True),
            clicked=Count("id", filter=Q(events__kind=EventKind.CLICK), distinct=True),
        )
        .order_by("-sent", "domain")[:100]
    )
    return list(rows)


def by_link(deliveries: QuerySet) -> list[dict]:
    rows = (
        TrackingEvent.objects.filter(delivery__in=deliveries.values("pk"), kind=EventKind.CLICK)
        .values("url")
        .annotate(clicks=Count("id"), unique_clicks=Count("entry", distinct=True))
        .order_by("-clicks", "url")[:100]
    )
    return list(rows)


def over_time(deliveries: QuerySet) -> list[dict]:
    """Events per hour and kind (exclusions left out: they all happen at preparation)."""
    rows = (
        TrackingEvent.objects.filter(delivery__in=deliveries.values("pk"))
        .exclude(kind=EventKind.EXCLUDED)
        .annotate(hour=TruncHour("occurred_at"))
        .values("hour", "kind")
        .annotate(n=Count("id"))
        .order_by("hour", "kind")
    )
    return [{"hour": r["hour"].isoformat(), "kind": r["kind"], "n": r["n"]} for r in rows]


def full_report(deliveries: QuerySet) -> dict:
    return {
        "deliveries": list(deliveries.values_list("pk", flat=True).order_by("pk")),
        "figures": delivery_report(deliveries),
        "by_domain": by_domain(deliveries),
        "by_link": by_link(deliveries),
        "over_time": over_time(deliveries),
    }


def report_csv_rows(report: dict) -> list[list]:
    """The report as CSV rows: section, key, value(s)."""
    rows: list[list] = [["section", "key", "value", "extra"]]
    for key, value in report["figures"].items():
        if isinstance(value, dict):
            rows += [[key, k, v, ""] for k, v in value.items()]
        else:
            rows.append(["figures", key, value, ""])
    rows += [
        [
            "domain",
            r["domain"],
            r["sent"],
            f"opened={r['opened']};clicked={r['clicked']};failed={r['failed']}",
        ]
        for r in report["by_domain"]
    ]
    rows += [["link", r["url"], r["clicks"], f"unique={r['unique_clicks']}"] for r in report["by_link"]]
    rows += [["hour", f"{r['hour']} {r['kind']}", r["n"], ""] for r in report["over_time"]]
    return rows
