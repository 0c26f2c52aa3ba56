"""The sender's per-message ledger write: ONE statement, committed on its own before the provider call.

It marks the next row ``sending`` (guarded: still ``claimed`` by this sender's token) and, in the same
statement, writes the outcomes of the messages handled since the previous mark. So each message costs
one round trip and one commit, and a sender that dies leaves at most one row in doubt (the one whose
mark committed and whose outcome was not yet written). The statement is built with SQLAlchemy Core:
ids, states and texts are bound values; the only identifiers are the ledger's own columns.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

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


@cache
def _statement(vendor: str, settled: int, mark: bool) -> tuple[str, tuple[str, ...]]:
    """The SQL of one statement shape (how many settled rows, with or without a mark), compiled once
    with named bound parameters: building and compiling it per message cost more than running it."""
    led = _LEDGER
    time_type = sa.DateTime(timezone=True) if vendor == "postgresql" else sa.String
    rows = [f"s{i}" for i in range(settled)]

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
    if mark:
        values["claimed_at"] = case(led.c.claimed_at, ["m"], "claimed_at", time_type)
        values["attempts"] = case(led.c.attempts, ["m"], "attempts", sa.Integer)
        conditions.append(
            sa.and_(
                led.c.id == sa.bindparam("m_id", type_=sa.BigInteger),
                led.c.state == _CLAIMED,
            )
        )
    values["state"] = case(led.c.state, rows + (["m"] if mark else []), "state")
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


def write(*, token: str, settled: list[LedgerEntry], mark: LedgerEntry | None = None) -> bool:
    """Write ``settled`` outcomes and, when given, mark ``mark`` as sending; one statement.

    Settled rows are written only while this sender still holds them (same claim token, ``claimed`` or
    ``sending``): recovery may have taken a row back. Returns whether ``mark`` was marked (True when no
    mark was asked)."""
    if not settled and mark is None:
        return True
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
    if mark is not None:
        params.update(
            {
                "m_id": mark.pk,
                "m_state": LedgerState.SENDING.value,
                "m_claimed_at": _time(timezone.now()),
                "m_attempts": mark.attempts + 1,
            }
        )
    sql, names = _statement(connection.vendor, len(settled), mark is not None)
    with connection.cursor() as cursor:
        cursor.execute(sql, [params[name] for name in names])
        written = {row[0] for row in cursor.fetchall()}
    return mark is None or mark.pk in written
