"""Senders: claim a batch of ledger rows, render them, then group by group take rate tokens, mark
the group ``sending`` (committed) BEFORE calling the provider for any of its rows, call, and record
the outcomes.

Claiming: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` so concurrent senders take disjoint
batches; on SQLite the IMMEDIATE transaction makes the claim a single-writer ``UPDATE ... WHERE
state='pending'`` and the claim token tells each sender which rows are its own. Outcomes are written
in batches; the only write per group is the ``sending`` mark (one statement that also carries the
previous group's outcomes, ``marks.py``), which is what makes recovery exact: a row still ``claimed``
was never handed to the provider (back to pending), a row ``sending`` may have been (see
``recovery``). The group is about 20 ms of sending (``mark_group_size``): one row at slow rates, up
to ``OC_SEND_MARK_GROUP`` at fast ones. Any number of senders may run the same delivery; each stops
when nothing is left.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing, contextmanager
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
from channels.providers import hosts, registry
from channels.providers.base import SendResult, Session

FLUSH_EVERY = 200  # events and unmarked outcomes, written together


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


def mark_group_size(rate_per_second: int) -> int:
    """How many rows one ``sending`` mark covers: about 20 ms of sending at the configuration's rate,
    at least 1 and at most ``OC_SEND_MARK_GROUP`` (20). A slow configuration commits a mark per
    message (a dead sender leaves one row in doubt); a fast one, where a durable commit per message
    would cost more than the send itself, commits one per group (at most a group in doubt)."""
    return max(1, min(_setting("OC_SEND_MARK_GROUP", 20), rate_per_second // 50))


def in_doubt_limit(rate_per_second: int) -> int:
    """The most rows a sender that dies can leave ``sending`` (in doubt): one group, or two when
    marks are pipelined (groups of several rows, ``_Marker``)."""
    size = mark_group_size(rate_per_second)
    return size if size == 1 else 2 * size


def _mark_sending(group: list[LedgerEntry], token: str, settled: list[LedgerEntry]) -> set[int]:
    """The one commit per group, before the provider is called for any of its rows: a single
    statement (``marks``) that marks the group sending and writes the outcomes handled since the
    previous mark. Returns the ids that were marked (recovery may have taken others back)."""
    return marks.write(token=token, settled=settled, marking=group)


class _Marker:
    """Writes the sending marks, ahead of the sends.

    Inline (SQLite, single-row groups, or a sender running inside a transaction, as in most tests):
    each group is marked when the previous one is done, so a dead sender leaves one group in doubt.
    Pipelined (PostgreSQL in autocommit with groups of several rows, how fast configurations run in a
    worker): a thread with its own database connection writes the next group's mark while the
    current group is being sent, so the mark's commit (a disk flush when durable) no longer adds to
    the sending time; a dead sender leaves at most two groups in doubt. Either way a group is sent
    only once its mark has committed: ``marked`` waits for it."""

    def __init__(self, token: str, group_size: int):
        self.token = token
        self.pool = None
        if group_size > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oc-marks")
            self.pool.submit(_apply_commit_mode).result()

    @property
    def ahead(self) -> bool:
        return self.pool is not None

    def ask(self, group: list[LedgerEntry], settled: list[LedgerEntry]) -> Future:
        """Mark ``group`` (and write ``settled``, which the caller must not touch again)."""
        if self.pool is None:
            return completed(_mark_sending(group, self.token, settled))
        return self.pool.submit(_mark_sending, group, self.token, settled)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.submit(_close_connection).result()
            self.pool.shutdown()
            self.pool = None


def completed(value) -> Future:
    """A future already holding ``value`` (an inline mark looks like a pipelined one)."""
    future: Future = Future()
    future.set_result(value)
    return future


def _close_connection() -> None:
    connection.close()  # resolved in the calling thread: the marker thread's own connection


def marked(future: Future) -> set[int]:
    """Wait for a group's mark to commit; the ids it marked."""
    return future.result()


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

    def take_unmarked(self) -> list[LedgerEntry]:
        """The outcomes for the next sending mark to write, handed over (a new list starts)."""
        taken, self.unmarked = self.unmarked, []
        return taken

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


class RefusedSession(Session):
    """Stands for a provider whose host ``OC_PROVIDER_HOST_ALLOWLIST`` refuses: every message fails
    permanently with the reason, and nothing is opened or sent."""

    def __init__(self, error: str):
        self.error = error

    def send(self, message) -> SendResult:
        return SendResult("permanent", error=self.error[:255])


class _Connections:
    """The provider sessions of one sender process: ``OC_SEND_CONNECTIONS`` (2) of them, each used by
    one thread. A group's messages are spread over them and sent at the same time: an SMTP or HTTP
    exchange is mostly waiting for the other side, and two connections keep the provider busy while
    one waits (measured: twice the messages per second of one connection against the benchmark's
    sink). Results come back in the group's order. With one connection, sends run in the caller's
    thread."""

    def __init__(self, provider, provider_settings, count: int):
        self.sessions = []
        refused = hosts.refused_hosts(provider_settings)
        if refused:  # the allow-list changed after the configuration was saved: connect to nothing
            self.sessions, self.pool = [RefusedSession(hosts.refusal_message(refused))], None
            return
        try:
            for _ in range(max(1, count)):
                self.sessions.append(provider.open(provider_settings))
        except Exception:
            self.close()
            raise
        self.pool = (
            ThreadPoolExecutor(max_workers=len(self.sessions), thread_name_prefix="oc-send")
            if len(self.sessions) > 1
            else None
        )

    def send_all(self, messages: list) -> list:
        if self.pool is None or len(messages) == 1:
            return _send_each(self.sessions[0], messages)
        width = len(self.sessions)
        chunks = [
            self.pool.submit(_send_each, session, messages[i::width])
            for i, session in enumerate(self.sessions)
        ]
        results: list = [None] * len(messages)
        for i, chunk in enumerate(chunks):
            results[i::width] = chunk.result()
        return results

    def close(self) -> None:
        if getattr(self, "pool", None) is not None:
            self.pool.shutdown()
        for session in self.sessions:
            session.close()


def _send_each(session, messages: list) -> list:
    """Send in order over one session. After a transient or doubtful answer the rest of this share
    is not tried ("skipped": back to pending, no attempt): a failing connection is not hammered,
    and a group cannot outlast the claim lease one timeout after another. An exception from a
    provider fails its message alone, as doubtful (the call may have reached the provider)."""
    results: list[SendResult] = []
    for message in messages:
        if results and results[-1].status in ("transient", "unknown", "skipped"):
            results.append(SendResult("skipped", error="not tried: the connection failed before"))
            continue
        try:
            results.append(session.send(message))
        except Exception as exc:  # one message's failure must not strand the group
            results.append(SendResult("unknown", error=f"provider error: {exc!r}"[:255]))
    return results


def _take_tokens(configuration, state: dict, needed: int) -> None:
    """Wait until this sender holds ``needed`` rate tokens (the bucket is shared by every worker)."""
    while state["tokens"] < needed:
        granted, wait = ratelimit.take(configuration, state["chunk"])
        state["tokens"] += granted
        if not granted:
            time.sleep(min(wait, 1.0))


def send_batch(
    delivery: Delivery,
    ids: list[int],
    token: str,
    connections: _Connections,
    outcomes: _Outcomes,
    state: dict,
) -> None:
    configuration = delivery.configuration
    frozen, base = state["frozen"], state["base"]
    max_attempts = _setting("OC_SEND_MAX_ATTEMPTS", 8)
    backoff = _setting("OC_SEND_BACKOFF_SECONDS", 2.0)
    ready: list[tuple[LedgerEntry, object]] = []
    for entry in LedgerEntry.objects.filter(id__in=ids).order_by("id"):
        try:
            ready.append((entry, compose(delivery, frozen, entry, base)))
        except TemplateProblem as exc:
            outcomes.add(
                entry,
                state=LedgerState.FAILED,
                error=f"render: {exc.message}",
                event=EventKind.ERROR,
                reason="render_error",
            )
    size = state["group"]
    groups = [ready[start : start + size] for start in range(0, len(ready), size)]
    marker: _Marker = state["marker"]
    if groups:
        _take_tokens(configuration, state, len(groups[0]))
        asked = marker.ask([entry for entry, _m in groups[0]], outcomes.take_unmarked())
    for index, group in enumerate(groups):
        ids_marked = marked(asked)
        following = groups[index + 1] if index + 1 < len(groups) else None
        if following and marker.ahead:  # the next group's mark commits while this one is sent
            _take_tokens(configuration, state, len(group) + len(following))
            asked = marker.ask([entry for entry, _m in following], outcomes.take_unmarked())
        group = [(entry, message) for entry, message in group if entry.pk in ids_marked]
        # (rows recovery took back are never sent from here)
        _take_tokens(configuration, state, len(group))  # waits only after a provider asked to slow down
        state["tokens"] -= len(group)
        results = connections.send_all([message for _entry, message in group])
        slow_down = None  # a provider asked to slow down (HTTP 429, SMTP 4xx, ...)
        for (entry, _message), result in zip(group, results, strict=True):
            if result.status == "skipped":  # never handed to the provider
                outcomes.add(entry, state=LedgerState.PENDING, error=result.error, retry_at=timezone.now())
                continue
            entry.attempts += 1
            if result.status == "unknown":  # may have reached the provider: never sent again
                outcomes.add(
                    entry,
                    state=LedgerState.UNKNOWN,
                    error=result.error,
                    event=EventKind.ERROR,
                    reason="unknown_after_error",
                )
            elif result.status == "sent":
                outcomes.add(
                    entry, state=LedgerState.SENT, provider_id=result.provider_id, event=EventKind.SENT
                )
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
                slow_down = max(slow_down or 0, min(delay, 60))
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
        if slow_down is not None:
            marked(asked)  # the next group's mark (it may carry earlier outcomes) comes first
            outcomes.flush()  # the rows must be pending again before anybody waits on them
            ratelimit.penalize(configuration, slow_down)
            state["tokens"] = 0
        if following and not marker.ahead:
            _take_tokens(configuration, state, len(following))
            asked = marker.ask([entry for entry, _m in following], outcomes.take_unmarked())
        if len(outcomes.rows) >= FLUSH_EVERY:
            outcomes.flush()
    if groups:
        marked(asked)
    outcomes.flush()


def _relaxed() -> bool:
    return connection.vendor == "postgresql" and not _setting("OC_SEND_SYNCHRONOUS_COMMIT", True)


def _apply_commit_mode() -> None:
    """``OC_SEND_SYNCHRONOUS_COMMIT = False`` (PostgreSQL), on this thread's connection: the sender's
    commits return before the WAL reaches the disk. The marks stay committed before each provider
    call (a sender that dies loses nothing), but a crash of the database server itself may lose the
    last ~0.6 s of them, and those messages may then be sent again. Default True: every mark is
    durable (README)."""
    if _relaxed():
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


@contextmanager
def _commit_mode():
    _apply_commit_mode()
    try:
        yield
    finally:
        if _relaxed():
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
        "group": mark_group_size(rate),
    }
    outcomes = _Outcomes(delivery, token)
    started, sent_batches = time.monotonic(), 0
    with ExitStack() as stack:  # whatever was opened is closed, also when opening the next one fails
        stack.enter_context(_commit_mode())
        state["marker"] = stack.enter_context(closing(_Marker(token, state["group"])))
        connections = stack.enter_context(
            closing(
                _Connections(
                    provider, provider_settings, min(_setting("OC_SEND_CONNECTIONS", 2), state["group"])
                )
            )
        )
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
            send_batch(delivery, ids, token, connections, outcomes, state)
            sent_batches += 1
    # Tokens taken but unused are simply lost: the bucket refills at the configured rate.
    done = finish_if_done(delivery)
    return {"status": "done" if done else "more", "batches": sent_batches}
