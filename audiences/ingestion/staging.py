"""The staging tables of one load, and the low-level bulk path (COPY on PostgreSQL, executemany on SQLite).

A load first copies the raw text of every cell into a TEMP table (``row_no`` plus one text column per
file column, named ``c0..cN``: user-supplied names never become identifiers), so that checking,
converting and merging are set-based statements. ``bulk_copy`` is the same low-level path for rows that
are already typed (the demo data generator), straight into a table.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

import psycopg
import sqlalchemy as sa
from django.db import connection, transaction
from django.utils.translation import gettext as _
from sqlalchemy.schema import CreateIndex, CreateTable

from audiences.catalog import database
from audiences.ingestion import converters
from audiences.ingestion.source import file_error, iter_chunks, iter_data_rows, read_header

BATCH_ROWS = 5_000


def _vendor() -> str:
    return connection.vendor


def quoted(table: sa.Table) -> str:
    """A table name quoted by the connection dialect's identifier preparer."""
    return database.dialect().identifier_preparer.format_table(table)


def _column_list(table: sa.Table, keys: list[str]) -> str:
    preparer = database.dialect().identifier_preparer
    return ", ".join(preparer.format_column(table.c[key]) for key in keys)


def _batches(rows: Iterable, size: int = BATCH_ROWS) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _insert_sql(table: sa.Table, keys: list[str]) -> str:
    compiled = sa.insert(table).compile(dialect=database.dialect(), column_keys=keys)
    order = [name for name in (getattr(compiled, "positiontup", None) or [])]
    if order != keys:
        raise AssertionError(f"unexpected parameter order {order} for {keys}")
    return str(compiled)


def bulk_copy(
    table: sa.Table, keys: list[str], rows: Iterable[tuple], *, types: list[str] | None = None
) -> int:
    """Append typed ``rows`` (tuples in ``keys`` order) to ``table``: COPY on PostgreSQL, executemany on
    SQLite (values stored as Django stores them; ``types`` gives each column's catalog type for that).
    Returns the row count. Runs in the caller's transaction.
    """
    count = 0
    if _vendor() == "postgresql":
        sql = f"COPY {quoted(table)} ({_column_list(table, keys)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    stores = [converters.CONVERTERS[t].sqlite_store if t else None for t in (types or [None] * len(keys))]
    sql = _insert_sql(table, keys)
    with connection.cursor() as cursor:
        for batch in _batches(rows):
            if any(stores):
                batch = [
                    tuple(v if s is None or v is None else s(v) for v, s in zip(row, stores, strict=True))
                    for row in batch
                ]
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


class Staging:
    """The TEMP tables of one load: ``stage`` (row_no, c0..cN text) and ``rejects``. Dropped on exit."""

    def __init__(self, width: int, *, first_row: int = 2):
        suffix = secrets.token_hex(6)
        metadata = sa.MetaData()
        self.keys = [f"c{i}" for i in range(width)]
        self.stage = sa.Table(
            f"oc_stage_{suffix}",
            metadata,
            sa.Column("row_no", sa.BigInteger, sa.Identity(start=first_row), primary_key=False),
            *(sa.Column(key, sa.Text) for key in self.keys),
            prefixes=["TEMPORARY"],
        )
        self.rejects = sa.Table(
            f"oc_rejects_{suffix}",
            metadata,
            sa.Column("row_no", sa.BigInteger),
            sa.Column("column_name", sa.Text),
            sa.Column("value", sa.Text),
            sa.Column("reason", sa.Text),
            prefixes=["TEMPORARY"],
        )
        self.rows = 0

    def __enter__(self) -> Staging:
        if _vendor() == "sqlite":
            connection.ensure_connection()
            converters.register_sqlite_functions(connection.connection)
        database.execute(CreateTable(self.stage))
        database.execute(CreateTable(self.rejects))
        database.execute(CreateIndex(sa.Index(f"{self.rejects.name}_row", self.rejects.c.row_no)))
        return self

    def __exit__(self, *exc) -> None:
        for table in (self.stage, self.rejects):
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {quoted(table)}")

    # --- filling it ---------------------------------------------------------------------------------
    def copy_csv(self, path: Path, *, on_read: Callable[[int], None] | None = None) -> int:
        """The file's rows as text cells. PostgreSQL: its bytes streamed to ``COPY``; SQLite: batches."""
        if _vendor() == "postgresql":
            columns = _column_list(self.stage, self.keys)
            sql = f"COPY {quoted(self.stage)} ({columns}) FROM STDIN (FORMAT csv, HEADER true)"
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    with cursor.cursor.copy(sql) as copy:
                        for chunk in iter_chunks(path, on_read):
                            copy.write(chunk)
                    self.rows = cursor.cursor.rowcount
            except psycopg.DataError as error:
                raise _copy_error(error, len(self.keys)) from None
        else:
            header = read_header(path, max_bytes=path.stat().st_size)
            rows = ((number, *cells) for number, cells in iter_data_rows(path, header, on_read))
            self.rows = self.insert_rows(rows)
        self.analyze()
        return self.rows

    def insert_rows(self, rows: Iterable[tuple]) -> int:
        """Rows given as (row_no, cell, cell, ...) text tuples."""
        keys = ["row_no", *self.keys]
        count = 0
        if _vendor() == "postgresql":
            sql = f"COPY {quoted(self.stage)} ({_column_list(self.stage, keys)}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            sql = _insert_sql(self.stage, keys)
            with connection.cursor() as cursor:
                for batch in _batches(rows):
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.rows = count
        return count

    def analyze(self) -> None:
        """Fresh statistics: the planner then hashes the joins of a large load instead of looping."""
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {quoted(self.stage)}")


def _copy_error(error: psycopg.Error, width: int) -> Exception:
    """COPY's own complaint (wrong column count, a quote left open) as an error naming the line."""
    context = getattr(error.diag, "context", "") or ""
    match = re.search(r"line (\d+)", context)
    message = error.diag.message_primary or str(error)
    if match:
        line = match.group(1)
        # The staging columns (c0..cN) mean nothing to the user: say it as the header's columns.
        if missing := re.match(r'missing data for column "c(\d+)"', message):
            return file_error(
                _("Line %(line)s has %(found)d columns; the header has %(expected)d.")
                % {"line": line, "found": int(missing.group(1)), "expected": width}
            )
        if message.startswith("extra data after last expected column"):
            return file_error(
                _("Line %(line)s has more columns than the header's %(expected)d.")
                % {"line": line, "expected": width}
            )
        return file_error(_("Line %(line)s: %(problem)s.") % {"line": line, "problem": message})
    return file_error(_("The file could not be read as CSV: %(problem)s.") % {"problem": message})
