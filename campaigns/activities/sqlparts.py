"""SQL pieces several activity types share: key membership, seeded ordering, sort specifications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from django.utils.translation import gettext as _

# A large prime below 2**31: (key * A + seed) % P is a cheap, portable, deterministic shuffle of
# integer keys that both SQLite and PostgreSQL compute without overflow for keys below 2**32.
_MULTIPLIER = 2654435761
_MODULUS = 2147483629


@dataclass
class SortField:
    field: str
    direction: Literal["asc", "desc"] = "asc"


def keys_in(columns: list[sa.ColumnElement], select: sa.Select) -> sa.ColumnElement:
    """``(columns) IN select`` as a correlated EXISTS (works with composite keys on both databases)."""
    sub = select.subquery()
    subcols = list(sub.c)
    return sa.exists(
        sa.select(sa.literal(1))
        .select_from(sub)
        .where(sa.and_(*(subcols[i] == col for i, col in enumerate(columns))))
    )


def keys_in_table(
    columns: list[sa.ColumnElement], other: sa.Table, other_keys: list[str]
) -> sa.ColumnElement:
    return sa.exists(
        sa.select(sa.literal(1))
        .select_from(other)
        .where(sa.and_(*(other.c[k] == col for k, col in zip(other_keys, columns, strict=True))))
    )


def seeded_order(keys: list[sa.ColumnElement], seed: int, key_types: list[str | None]) -> list:
    """A deterministic pseudo-random order: the same seed gives the same sample on every re-run."""
    if len(keys) == 1 and key_types and key_types[0] in ("integer", "bigint"):
        return [(keys[0] * _MULTIPLIER + seed) % _MODULUS, keys[0]]
    return [sa.func.random(), *keys]  # non-integer keys: random, but the counts stay the same


def sort_clauses(sorts: list[SortField], lookup: dict[str, sa.ColumnElement]) -> list:
    clauses = []
    for s in sorts:
        col = lookup[s.field]
        # NULLs last in both directions, the same on SQLite and PostgreSQL.
        clauses.append(sa.case((col.is_(None), 1), else_=0))
        clauses.append(col.desc() if s.direction == "desc" else col.asc())
    return clauses


def unknown_fields(names: list[str], available: dict) -> list[str]:
    return [n for n in names if n not in available]


def missing_field_message(name: str) -> str:
    return _("Unknown field %(name)s.") % {"name": name}
