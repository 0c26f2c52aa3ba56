"""Independent Python computations of what the engine must produce, from the shop's rows."""

from __future__ import annotations

from campaigns.activities.sqlparts import _MODULUS, _MULTIPLIER


def shuffle_rank(key: int, seed: int) -> tuple:
    """The same deterministic order as ``sqlparts.seeded_order`` for integer keys."""
    return ((key * _MULTIPLIER + seed) % _MODULUS, key)


def dedup(rows: list[dict], field: str, *, highest: str | None = None, seed: int = 1, keep: int = 1):
    groups: dict = {}
    for row in rows:
        groups.setdefault(row[field], []).append(row)
    kept, removed = [], []
    for members in groups.values():

        def order(r):
            value = r[highest] if highest else None
            return ((value is None, -(value or 0)) if highest else ()) + shuffle_rank(r["id"], seed)

        members.sort(key=order)
        kept += members[:keep]
        removed += members[keep:]
    return kept, removed
