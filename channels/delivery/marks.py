"""The sender's ledger write: ONE statement, committed on its own before the provider calls.

It marks the next group of rows ``sending`` (guarded: still ``claimed`` by this sender's token) and,
in the same statement, writes the outcomes of the messages handled since the previous mark. So a group
of messages costs one round trip and one commit, and a sender that dies leaves at most one group in
doubt, two when the next group's mark is written ahead (the rows whose mark committed and whose
outcome was not yet written; see ``sender.mark_group_size`` and ``sender.in_doubt_limit``). The
statement is built with SQLAlchemy Core: ids, states and texts are bound values; the only identifiers
are the ledger's own columns.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from django.db import connection
from django.utils import timezone

from audiences.catalog import database
from channels.delivery.sqlparts import db_datetime
from channels.models import LedgerEntry, LedgerState

_LEDGER = sa.table(
    LedgerEntry._meta.db_table,
    *(
        sa.column(name)
        for name in (
            "id",
            "state",
            "error",
            "provider_message_id",
            "next_attempt_at",
            "sent_at",
            "claim_token",
            "claimed_at",
            "attempts",
        )
    ),
)
_CLAIMED = sa.bindparam("claimed", type_=sa.String)


@lru_cache(maxsize=256)  # shapes repeat: (group size, outcomes since the last mark)
def _statement(vendor: str, settled: int, marked: int) -> tuple[str, tuple[str, ...]]:
    """The SQL of one statement shape (how many settled rows, how many to mark), compiled once
    with named bound parameters: building and compiling it per message cost more than running it."""
    led = _LEDGER
    time_type = sa.DateTime(timezone=True) if vendor == "postgresql" else sa.String
    rows = [f"s{i}" for i in range(settled)]
    marks = [f"m{i}" for i in range(marked)]

    def case(column, names: list[str], field: str, type_=sa.String):
        if not names:
            return None
        whens = [
            (
                led.c.id == sa.bindparam(f"{n}_id", type_=sa.BigInteger),
                sa.bindparam(f"{n}_{field}", type_=type_),
            )
            for n in names
        ]
        return sa.case(*whens, else_=column)

    values = {
        "error": case(led.c.error, rows, "error"),
        "provider_message_id": case(led.c.provider_message_id, rows, "provider_message_id"),
        "claim_token": case(led.c.claim_token, rows, "claim_token"),
        "next_attempt_at": case(led.c.next_attempt_at, rows, "next_attempt_at", time_type),
        "sent_at": case(led.c.sent_at, rows, "sent_at", time_type),
    }
    conditions = []
    if rows:
        ids = [sa.bindparam(f"{n}_id", type_=sa.BigInteger) for n in rows]
        still_ours = sa.or_(led.c.state == _CLAIMED, led.c.state == sa.bindparam("sending", type_=sa.String))
        conditions.append(sa.and_(led.c.id.in_(ids), still_ours))
    if marks:
        ids = [sa.bindparam(f"{n}_id", type_=sa.BigInteger) for n in marks]
        is_mark = led.c.id.in_(ids)
        values["claimed_at"] = sa.case(
            (is_mark, sa.bindparam("mark_at", type_=time_type)), else_=led.c.claimed_at
        )
        values["attempts"] = sa.case(
            (is_mark, led.c.attempts + sa.literal_column("1", sa.Integer)), else_=led.c.attempts
        )
        conditions.append(sa.and_(is_mark, led.c.state == _CLAIMED))
        values["state"] = sa.case(
            (is_mark, sa.bindparam("mark_state", type_=sa.String)),
            else_=case(led.c.state, rows, "state") if rows else led.c.state,
        )
    else:
        values["state"] = case(led.c.state, rows, "state")
    statement = (
        sa.update(led)
        .where(led.c.claim_token == sa.bindparam("token", type_=sa.String), sa.or_(*conditions))
        .values(**{k: v for k, v in values.items() if v is not None})
        .returning(led.c.id)
    )
    compiled = statement.compile(dialect=database.dialect_for(vendor))
    return str(compiled), tuple(compiled.positiontup or ())


def _time(value: datetime | None):
    return None if value is None else db_datetime(value)


def write(*, token: str, settled: list[LedgerEntry], marking: list[LedgerEntry] = ()) -> set[int]:
    """Write ``settled`` outcomes and mark the rows of ``marking`` as sending; one statement.

    Settled rows are written only while this sender still holds them (same claim token, ``claimed`` or
    ``sending``), and rows are marked only while still ``claimed`` by it: recovery may have taken a row
    back. Returns the ids of ``marking`` that were marked (each one's ``attempts`` went up by one)."""
    if not settled and not marking:
        return set()
    params: dict[str, object] = {
        "token": token,
        "claimed": LedgerState.CLAIMED.value,
        "sending": LedgerState.SENDING.value,
    }
    for i, row in enumerate(settled):
        params.update(
            {
                f"s{i}_id": row.pk,
                f"s{i}_state": str(row.state),
                f"s{i}_error": row.error,
                f"s{i}_provider_message_id": row.provider_message_id,
                f"s{i}_claim_token": row.claim_token,
                f"s{i}_next_attempt_at": _time(row.next_attempt_at),
                f"s{i}_sent_at": _time(row.sent_at),
            }
        )
    if marking:
        params.update({f"m{i}_id": row.pk for i, row in enumerate(marking)})
        params.update({"mark_state": LedgerState.SENDING.value, "mark_at": _time(timezone.now())})
    sql, names = _statement(connection.vendor, len(settled), len(marking))
    with connection.cursor() as cursor:
        cursor.execute(sql, [params[name] for name in names])
        written = {row[0] for row in cursor.fetchall()}
    return written & {row.pk for row in marking}
