"""Senders: claim a batch of ledger rows, then for each row render, take a rate token, mark it
``sending`` (committed) BEFORE calling the provider, call, and record the outcome.

Claiming: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` so concurrent senders take disjoint
batches; on SQLite the IMMEDIATE transaction makes the claim a single-writer ``UPDATE ... WHERE
state='pending'`` and the claim token tells each sender which rows are its own. Outcomes are written
in batches; the only per-message write is the ``sending`` mark (one statement that also carries the
previous message's outcome, ``marks.py``), which is what makes recovery exact:
a row still ``claimed`` was never handed to the provider (back to pending), a row ``sending`` was (see
``recovery``). Any number of senders may run the same delivery; each stops when nothing is left.
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from channels.delivery import marks, ratelimit
from channels.delivery.compose import base_context, compose, frozen_content
from channels.delivery.recovery import finish_if_done, recover_expired, throttle_expired
from channels.models import (
    Delivery,
    DeliveryStatus,
    EventKind,
    LedgerEntry,
    LedgerState,
    SuppressionEntry,
    SuppressionReason,
    TrackingEvent,
)
from channels.personalization.templates import TemplateProblem
from channels.providers import registry

FLUSH_EVERY = 50


def _setting(name: str, default):
    return getattr(settings, name, default)


def claim(delivery: Delivery, size: int, token: str) -> list[int]:
    """Mark up to ``size`` due pending rows as claimed by ``token``; their ids in order."""
    now = timezone.now()
    with transaction.atomic():
        due = (
            LedgerEntry.objects.filter(delivery=delivery, state=LedgerState.PENDING)
            .exclude(next_attempt_at__gt=now)
            .order_by("id")
        )
        ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:size])
        if not ids:
            return []
        LedgerEntry.objects.filter(id__in=ids, state=LedgerState.PENDING).update(
            state=LedgerState.CLAIMED, claim_token=token, claimed_at=now
        )
    return list(
        LedgerEntry.objects.filter(id__in=ids, claim_token=token, state=LedgerState.CLAIMED)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _mark_sending(entry: LedgerEntry, token: str, settled: list[LedgerEntry]) -> bool:
    """The one per-message commit, before the provider is called: a single statement (``marks``) that
    marks ``entry`` sending and writes the outcomes handled since the previous mark, so a crash
    leaves at most one row in doubt."""
    marked = marks.write(token=token, settled=settled, mark=entry)
    settled.clear()
    return marked


class _Outcomes:
    """Outcomes buffered and written together: ledger rows, events and suppressions."""

    def __init__(self, delivery: Delivery, token: str):
        self.delivery = delivery
        self.token = token
        self.rows: list[LedgerEntry] = []
        self.events: list[TrackingEvent] = []
        self.suppress: list[SuppressionEntry] = []
        self.unmarked: list[LedgerEntry] = []  # outcomes not yet written by the next sending mark

    def add(
        self,
        entry: LedgerEntry,
        *,
        state,
        error="",
        provider_id="",
        event=None,
        reason="",
        retry_at=None,
        suppress=False,
    ):
        now = timezone.now()
        entry.state, entry.error, entry.provider_message_id = state, error[:255], provider_id[:255]
        entry.next_attempt_at = retry_at
        if state == LedgerState.SENT:
            entry.sent_at = now
        if state in (LedgerState.PENDING,):
            entry.claim_token = ""
        self.rows.append(entry)
        self.unmarked.append(entry)
        if event:
            self.events.append(
                TrackingEvent(
                    delivery=self.delivery,
                    entry=entry,
                    kind=event,
                    reason=reason[:255],
                    profile_key=entry.profile_key,
                    profile_id=entry.profile_id,
                    address=entry.address,
                    occurred_at=now,
                )
            )
        if suppress:
            self.suppress.append(
                SuppressionEntry(
                    channel=entry.channel,
                    address=entry.address,
                    reason=SuppressionReason.HARD_BOUNCE,
                    detail=error[:255],
                )
            )

    def flush(self) -> None:
        """Events and suppressions of the buffered messages, and the outcomes no sending mark has
        written yet (usually the last message's), in one transaction."""
        if not self.rows:
            return
        with transaction.atomic():
            marks.write(token=self.token, settled=self.unmarked)
            TrackingEvent.objects.bulk_create(self.events)
            SuppressionEntry.objects.bulk_create(self.suppress, ignore_conflicts=True)
        self.rows, self.events, self.suppress, self.unmarked = [], [], [], []


def heartbeat(delivery: Delivery) -> None:
    """A live sender says so (once per batch or wait): the recovery schedule leaves its delivery alone."""
    Delivery.objects.filter(pk=delivery.pk).update(sender_seen_at=timezone.now())


def send_batch(
    delivery: Delivery, ids: list[int], token: str, session, outcomes: _Outcomes, state: dict
) -> None:
    configuration = delivery.configuration
    frozen, base = state["frozen"], state["base"]
    max_attempts = _setting("OC_SEND_MAX_ATTEMPTS", 8)
    backoff = _setting("OC_SEND_BACKOFF_SECONDS", 2.0)
    entries = list(LedgerEntry.objects.filter(id__in=ids).order_by("id"))
    for entry in entries:
        try:
            message = compose(delivery, frozen, entry, base)
        except TemplateProblem as exc:
            outcomes.add(
                entry,
                state=LedgerState.FAILED,
                error=f"render: {exc.message}",
                event=EventKind.ERROR,
                reason="render_error",
            )
            continue
        while state["tokens"] <= 0:
            granted, wait = ratelimit.take(configuration, state["chunk"])
            state["tokens"] += granted
            if not granted:
                time.sleep(min(wait, 1.0))
        state["tokens"] -= 1
        if not _mark_sending(entry, token, outcomes.unmarked):
            continue  # recovery took the row back; never send it from here
        entry.attempts += 1
        result = session.send(message)
        if result.status == "sent":
            outcomes.add(entry, state=LedgerState.SENT, provider_id=result.provider_id, event=EventKind.SENT)
        elif result.status == "transient" and entry.attempts < max_attempts:
            delay = (
                result.retry_after
                if result.retry_after is not None
                else backoff * (2 ** (entry.attempts - 1))
            )
            outcomes.add(
                entry,
                state=LedgerState.PENDING,
                error=result.error,
                retry_at=timezone.now() + timedelta(seconds=min(delay, 900)),
            )
            outcomes.flush()  # the row must be pending again before anybody waits on it
            ratelimit.penalize(configuration, min(delay, 60))
            state["tokens"] = 0
        else:
            hard = result.status == "hard_bounce"
            kind = (
                EventKind.HARD_BOUNCE
                if hard
                else (EventKind.SOFT_BOUNCE if result.status == "transient" else EventKind.ERROR)
            )
            outcomes.add(
                entry,
                state=LedgerState.FAILED,
                error=result.error,
                event=kind,
                reason=result.error,
                suppress=hard,
            )
        if len(outcomes.rows) >= FLUSH_EVERY:
            outcomes.flush()
    outcomes.flush()


@contextmanager
def _commit_mode():
    """``OC_SEND_SYNCHRONOUS_COMMIT = False`` (PostgreSQL): the sender's commits return before the WAL
    reaches the disk. The marks stay committed before each provider call (a sender that dies loses
    nothing), but a crash of the database server itself may lose the last ~0.6 s of them, and
    those messages may then be sent again. Default True: every mark is durable (README)."""
    relaxed = connection.vendor == "postgresql" and not _setting("OC_SEND_SYNCHRONOUS_COMMIT", True)
    if relaxed:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        if relaxed:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def send_delivery(delivery_id: int, *, max_seconds: float | None = None) -> dict:
    """Send what is left of a delivery for at most ``max_seconds``; returns counts for the caller.
    Safe to run in any number of processes at once, and to run again after a crash."""
    delivery = Delivery.objects.select_related("configuration").get(pk=delivery_id)
    if delivery.status in (DeliveryStatus.DONE, DeliveryStatus.FAILED):
        return {"status": delivery.status}
    max_seconds = max_seconds if max_seconds is not None else _setting("OC_SEND_SLICE_SECONDS", 120)
    recover_expired(delivery)
    throttle_expired(delivery)
    if delivery.status == DeliveryStatus.PREPARED:
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PREPARED).update(
            status=DeliveryStatus.SENDING
        )
    configuration = delivery.configuration
    provider = registry.get(configuration.provider)
    provider_settings = provider.parse(configuration.provider_settings)
    token = uuid.uuid4().hex
    rate = configuration.rate_per_second
    batch = max(1, min(_setting("OC_SEND_BATCH", 200), rate * 5))
    state = {
        "frozen": frozen_content(delivery),
        "base": base_context(delivery),
        "tokens": 0,
        "chunk": max(1, min(batch, rate // 5 or 1)),
    }
    outcomes = _Outcomes(delivery, token)
    started, sent_batches = time.monotonic(), 0
    with _commit_mode(), provider.open(provider_settings) as session:
        while time.monotonic() - started < max_seconds:
            heartbeat(delivery)
            ids = claim(delivery, batch, token)
            if not ids:
                waiting = (
                    LedgerEntry.objects.filter(
                        delivery=delivery, state=LedgerState.PENDING, next_attempt_at__isnull=False
                    )
                    .order_by("next_attempt_at")
                    .values_list("next_attempt_at", flat=True)
                    .first()
                )
                if waiting is None:
                    break
                pause = (waiting - timezone.now()).total_seconds()
                if pause > max_seconds - (time.monotonic() - started):
                    break
                time.sleep(max(pause, 0.01))
                throttle_expired(delivery)
                continue
            send_batch(delivery, ids, token, session, outcomes, state)
            sent_batches += 1
    # Tokens taken but unused are simply lost: the bucket refills at the configured rate.
    done = finish_if_done(delivery)
    return {"status": "done" if done else "more", "batches": sent_batches}
