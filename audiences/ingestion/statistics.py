"""Fresh planner statistics after a load that changes a table a lot.

A rule count right after a large load into an empty (or much changed) table plans from statistics that
describe the table as it was: on a server without autovacuum (or before it wakes up) it picks nested
loops over millions of rows and times out. So a successful load that changes more than a tenth of the
rows the planner knows of (``ANALYZE_FRACTION``), or loads into a table the planner thinks is empty or
has never analyzed, runs ``ANALYZE`` on the table before the run is marked done, and the run's log says
so (or says why it did not).

The size the planner knows is PostgreSQL's ``pg_class.reltuples`` (``-1`` when never analyzed) and, on
SQLite, the row count ``sqlite_stat1`` holds for the table (none when never analyzed).
"""

from __future__ import annotations

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from audiences.catalog.models import Schema
from audiences.ingestion.loader import LoadResult

ANALYZE_FRACTION = 0.1


def _known_rows(table: str) -> int | None:
    """The rows the planner's statistics know of ``table``; None when it has none."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
            row = cursor.fetchone()
            return None if row is None or row[0] is None or row[0] < 0 else int(row[0])
        # main.: the staging tables' own statistics live in temp.sqlite_stat1, which would shadow it
        cursor.execute("SELECT name FROM main.sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        cursor.execute("SELECT stat FROM main.sqlite_stat1 WHERE tbl = %s", [table])
        stats = [row[0] for row in cursor.fetchall()]
    if not stats:
        return None
    return max(int(str(stat).split()[0]) for stat in stats)


def _changed(result: LoadResult) -> int:
    return result.inserted + result.updated + result.deleted


def analyze_after_load(schema: Schema, result: LoadResult) -> str:
    """ANALYZE ``schema``'s table when the load changed enough of it; returns the line for the run's log."""
    changed = _changed(result)
    if changed == 0:
        return _("No row changed: statistics left as they were.")
    table = schema.table_name
    known = _known_rows(table)
    if known is not None and known > 0 and changed <= known * ANALYZE_FRACTION:
        return _(
            "%(changed)d row(s) changed, not more than a tenth of the %(known)d the statistics know of: "
            "no ANALYZE."
        ) % {"changed": changed, "known": known}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    except DatabaseError as exc:
        return _("ANALYZE of %(table)s failed: %(error)s") % {"table": table, "error": exc}
    if known:
        return _(
            "ANALYZE %(table)s: %(changed)d row(s) changed, more than a tenth of the %(known)d the "
            "statistics knew of."
        ) % {"table": table, "changed": changed, "known": known}
    return _(
        "ANALYZE %(table)s: %(changed)d row(s) loaded into a table without statistics "
        "(new, empty or never analyzed)."
    ) % {
        "table": table,
        "changed": changed,
    }
