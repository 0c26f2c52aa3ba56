"""The PostgreSQL fast path of a CSV load: screen the file, then let PostgreSQL's own COPY parse it.

Why: checking every value with our rules in SQL (regular expressions, ranges, calendar checks) cost
6 s per million rows and the ``INSERT ... SELECT`` merge 4 s; PostgreSQL 15 has no non-raising cast
(``pg_input_is_valid`` is 16+). Most files are clean, so a clean file should cost little more than
PostgreSQL parsing it once. The path, all in one transaction:

1. **Screen**: ``COPY`` the file into a TEMP text table with ``WHERE NOT <quick checks>``: only the
   rows that are not *surely* valid are stored (usually none; nothing else is written). Each field's
   quick check (``Converter.pg_quick``) is true only for texts our rules accept AND PostgreSQL's input
   function reads to the same value (booleans spelled our way, ISO dates that PostgreSQL prints back
   unchanged, decimals without exponents...). For integers and free text PostgreSQL's own parser is the
   rule.
2. **Load**: under the table lock, an empty target without deletes gets the file by ``COPY`` straight
   into it; otherwise the file is ``COPY``-ed into a typed TEMP table and merged with one
   ``INSERT ... ON CONFLICT DO UPDATE WHERE newer RETURNING (xmax = 0)`` (counts without a second scan)
   and one ``DELETE ... USING``.
3. **Give way**: any suspect row, any cast PostgreSQL refuses, a repeated or missing key, a missing
   required value: the savepoint is rolled back and ``try_load`` returns None; the caller then runs the
   detailed path (``loader.py``), which finds and reports every bad value with its row number. The fast
   path never rejects anything itself, so both paths decide alike (see docs/ingestion.md).

The file is read twice (screen, load) and is not changed in between: it is the stored upload or the
command's local file.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import psycopg
import sqlalchemy as sa
from django.db import DataError, IntegrityError, ProgrammingError, connection, transaction
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from audiences.catalog import database
from audiences.ingestion.converters import sql_quick_ok
from audiences.ingestion.loader import LoadPlan, LoadResult, update_condition
from audiences.ingestion.source import CHANGE_COLUMN, iter_chunks
from audiences.ingestion.staging import quoted

UPSERT_TEXTS, DELETE_TEXTS = ("u", "U"), ("d", "D")
SESSION = (
    # JIT-compiling the wide check expressions costs more than it saves (measured 2x on 1M rows).
    "SET LOCAL jit = off",
    # The quick date checks compare with what PostgreSQL prints (ISO); naive date-times are UTC.
    "SET LOCAL datestyle = 'ISO, YMD'",
    "SET LOCAL timezone = 'UTC'",
    # The repeated-key check groups the whole file: in memory rather than in batches on disk.
    "SET LOCAL work_mem = '64MB'",
)


# What PostgreSQL raises on data our rules may refuse: through Django's cursor, or psycopg's (COPY).
REFUSALS = (DataError, IntegrityError, psycopg.DataError, psycopg.IntegrityError)


class _GiveWay(Exception):
    """The fast path cannot decide this load: the detailed path must."""


def _run(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _copy(table_sql: str, columns: list[str], path: Path, *, where=None, on_read=None) -> int:
    """Stream ``path`` into ``COPY table (columns) FROM STDIN`` (CSV, header, empty cells NULL even when
    quoted: our rules read "" as no value). ``where`` is bound client-side by psycopg.
    """
    names = ", ".join(columns)
    sql = f"COPY {table_sql} ({names}) FROM STDIN (FORMAT csv, HEADER true, FORCE_NULL ({names}))"
    params: list = []
    if where is not None:
        condition, params = database.compile_statement(where)
        sql += f" WHERE {condition}"
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql, params or None) as copy:
            for chunk in iter_chunks(path, on_read):
                copy.write(chunk)
        return cursor.cursor.rowcount


def _temp_table(prefix: str, types: list[sa.types.TypeEngine]) -> sa.Table:
    table = sa.Table(
        f"{prefix}_{secrets.token_hex(6)}",
        sa.MetaData(),
        *(sa.Column(f"c{i}", type_) for i, type_ in enumerate(types)),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    database.execute(CreateTable(table))
    return table


def _screen(plan: LoadPlan, path: Path, on_read) -> int:
    """Stores the rows that are not surely valid (usually none); returns their count."""
    screen = _temp_table("oc_screen", [sa.Text()] * len(plan.columns))
    checks = []
    for index, name in enumerate(plan.columns):
        cell = screen.c[f"c{index}"]
        if name == CHANGE_COLUMN:
            checks.append(sa.or_(cell.is_(None), cell.in_(UPSERT_TEXTS + DELETE_TEXTS)))
        else:
            checks.append(sql_quick_ok(cell, plan.specs[name]))
    # A NULL check (a cast of NULL) counts as suspect too: COALESCE keeps the row.
    suspect = ~sa.func.coalesce(sa.and_(*checks), sa.false())
    return _copy(quoted(screen), list(screen.c.keys()), path, where=suspect, on_read=on_read)


def _copy_into_target(plan: LoadPlan, path: Path) -> LoadResult:
    preparer = database.dialect().identifier_preparer
    columns = [preparer.format_column(plan.table.c[name]) for name in plan.columns]
    rows = _copy(quoted(plan.table), columns, path)
    return LoadResult(rows=rows, inserted=rows)


def _merge_typed(plan: LoadPlan, path: Path) -> LoadResult:
    """Typed staging by COPY, one repeated-key check, one upsert with its counts, one delete."""
    table = plan.table
    types = [sa.Text() if name == CHANGE_COLUMN else table.c[name].type for name in plan.columns]
    typed = _temp_table("oc_typed", types)
    rows = _copy(quoted(typed), list(typed.c.keys()), path)
    cell = {name: typed.c[f"c{i}"] for i, name in enumerate(plan.columns)}
    keys = [cell[name] for name in plan.key]

    # Our rules reject every row of a key given twice (whatever the change types) and a missing key.
    repeated = (
        sa.select(sa.literal(1))
        .select_from(typed)
        .group_by(*keys)
        .having(sa.or_(sa.func.count() > 1, *(k.is_(None) for k in keys)))
        .limit(1)
    )
    if database.fetch_all(repeated):
        raise _GiveWay

    op = cell.get(CHANGE_COLUMN)
    upserts = sa.true() if op is None else sa.or_(op.is_(None), op.in_(UPSERT_TEXTS))
    to_delete = 0
    if op is not None:
        to_delete = database.fetch_value(
            sa.select(sa.func.count()).select_from(typed).where(op.in_(DELETE_TEXTS))
        )
    result = LoadResult(rows=rows)
    to_upsert = rows - to_delete
    if to_upsert:
        insert = postgresql.insert(table).from_select(
            [table.c[name] for name in plan.fields],
            sa.select(*(cell[name] for name in plan.fields)).where(upserts),
        )
        updatable = [name for name in plan.fields if name not in plan.key]
        if updatable:
            insert = insert.on_conflict_do_update(
                index_elements=[table.c[name] for name in plan.key],
                set_={name: insert.excluded[name] for name in updatable},
                where=update_condition(plan, table, insert.excluded),
            )
        else:
            insert = insert.on_conflict_do_nothing(index_elements=[table.c[name] for name in plan.key])
        # xmax is 0 on a row this statement inserted and set on one it updated (the conflict locked
        # it): counting the returned rows tells inserts from updates without joining the table twice.
        written = insert.returning((sa.literal_column("xmax") == sa.literal_column("'0'::xid")).label("new"))
        written = written.cte("written")
        inserted, updated = database.fetch_all(
            sa.select(
                sa.func.count().filter(written.c.new),
                sa.func.count().filter(sa.not_(written.c.new)),
            )
        )[0]
        result.inserted = inserted
        if updatable:
            result.updated, result.skipped = updated, to_upsert - inserted - updated
        else:  # as the detailed path counts it: a key already there is an (empty) update
            result.updated = to_upsert - inserted
    if to_delete:
        same_key = sa.and_(*(table.c[name] == cell[name] for name in plan.key))
        deleted = database.execute(sa.delete(table).where(same_key, op.in_(DELETE_TEXTS)))
        result.deleted = deleted
        result.skipped += to_delete - deleted
    return result


def try_load(
    plan: LoadPlan, path: Path, *, on_read: Callable[[int], None] | None = None
) -> LoadResult | None:
    """Load a clean file fast (committed, counts returned), or change nothing and return None."""
    with transaction.atomic():
        for statement in SESSION:
            _run(statement)
        try:
            with transaction.atomic():
                if _screen(plan, path, on_read):
                    return None
                _run(f"LOCK TABLE {quoted(plan.table)} IN SHARE ROW EXCLUSIVE MODE")
                empty = not database.fetch_all(sa.select(sa.literal(1)).select_from(plan.table).limit(1))
                if empty and CHANGE_COLUMN not in plan.columns:
                    return _copy_into_target(plan, path)
                return _merge_typed(plan, path)
        except (_GiveWay, *REFUSALS):
            return None
        except ProgrammingError as error:
            # "ON CONFLICT DO UPDATE command cannot affect row a second time": a key repeated in the file.
            if not isinstance(error.__cause__, psycopg.errors.CardinalityViolation):
                raise
            return None
