"""The per-message ledger statement (``delivery/marks.py``): it marks a row ``sending`` only while this
sender's claim holds, and writes earlier outcomes only on rows this sender still holds, so a row that
recovery took back (released or marked unknown) is never sent or overwritten."""

from __future__ import annotations

import pytest
from django.utils import timezone

from channels.delivery import marks
from channels.models import LedgerEntry, LedgerState
from channels.tests.conftest import prepared_delivery

pytestmark = pytest.mark.django_db


def _rows(delivery) -> dict[str, LedgerEntry]:
    return {e.address: e for e in LedgerEntry.objects.filter(delivery=delivery)}


def test_one_statement_writes_the_previous_outcome_and_marks_the_next_row(
    catalog, campaign, email_configuration
):
    # given: Ann was handed to the provider (sending), Bob is claimed next, both by token "t1"
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    rows = _rows(delivery)
    ann, bob = rows["ann@example.test"], rows["bob@other.test"]
    LedgerEntry.objects.filter(pk=ann.pk).update(state=LedgerState.SENDING, claim_token="t1", attempts=1)
    LedgerEntry.objects.filter(pk=bob.pk).update(state=LedgerState.CLAIMED, claim_token="t1")
    sent_at = timezone.now()
    ann.state, ann.provider_message_id, ann.sent_at, ann.claim_token = (
        LedgerState.SENT,
        "<id@x>",
        sent_at,
        "t1",
    )
    # when
    marked = marks.write(token="t1", settled=[ann], marking=[bob])
    # then
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert marked == {bob.pk}
    assert (ann.state, ann.provider_message_id, ann.sent_at, ann.attempts) == (
        LedgerState.SENT,
        "<id@x>",
        sent_at,
        1,
    )
    assert (bob.state, bob.attempts, bob.claim_token) == (LedgerState.SENDING, 1, "t1")
    assert bob.claimed_at is not None


def test_rows_recovery_took_back_are_neither_marked_nor_overwritten(catalog, campaign, email_configuration):
    # given: recovery marked Ann unknown and released Bob while the sender "t1" was stalled
    delivery = prepared_delivery(catalog, campaign, [1, 2, 3])
    rows = _rows(delivery)
    ann, bob, cy = rows["ann@example.test"], rows["bob@other.test"], rows["cy@example.test"]
    LedgerEntry.objects.filter(pk=ann.pk).update(state=LedgerState.UNKNOWN, claim_token="t1")
    LedgerEntry.objects.filter(pk=bob.pk).update(state=LedgerState.PENDING, claim_token="")
    LedgerEntry.objects.filter(pk=cy.pk).update(
        state=LedgerState.CLAIMED, claim_token="t2"
    )  # another sender's
    ann.state, ann.claim_token = LedgerState.SENT, "t1"
    # when
    marked_bob = marks.write(token="t1", settled=[ann], marking=[bob])
    marked_cy = marks.write(token="t1", settled=[], marking=[cy])
    # then
    states = dict(LedgerEntry.objects.filter(delivery=delivery).values_list("address", "state"))
    assert (marked_bob, marked_cy) == (set(), set())
    assert states == {
        "ann@example.test": LedgerState.UNKNOWN,
        "bob@other.test": LedgerState.PENDING,
        "cy@example.test": LedgerState.CLAIMED,
    }


def test_an_outcome_alone_is_written_without_a_mark(catalog, campaign, email_configuration):
    # given: a row that failed to render (never marked: still claimed)
    delivery = prepared_delivery(catalog, campaign, [1])
    ann = _rows(delivery)["ann@example.test"]
    LedgerEntry.objects.filter(pk=ann.pk).update(state=LedgerState.CLAIMED, claim_token="t1")
    ann.state, ann.error, ann.claim_token = LedgerState.FAILED, "render: boom", "t1"
    # when
    assert marks.write(token="t1", settled=[ann]) == set()
    # then
    ann.refresh_from_db()
    assert (ann.state, ann.error) == (LedgerState.FAILED, "render: boom")
