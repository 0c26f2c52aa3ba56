"""Working tables: one physical table per transition per run, made with ``CREATE TABLE ... AS SELECT``.

Names come only from ids (``oc_wt_<run>_<transition>``, scratch ``oc_ws_<task>_<n>``), never from user
input. On PostgreSQL the tables are UNLOGGED (they are rebuilt, never recovered) and analysed after
creation so the next activity's joins get good plans. Each is indexed on the dimension key.
"""

from __future__ import annotations

import sqlalchemy as sa
from django.db import connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex, DropTable
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

from audiences.catalog import database

WORKING_PREFIX = "oc_wt_"
SCRATCH_PREFIX = "oc_ws_"
ANALYZE_FROM_ROWS = 5000


class CreateTableAs(Executable, ClauseElement):
    """``CREATE [UNLOGGED] TABLE name AS <select>``, compiled by the statement compiler so the
    select's values stay bound parameters."""

    inherit_cache = False

    def __init__(self, name: str, select: sa.Select | sa.CompoundSelect):
        self.name = name
        self.select = select


@compiles(CreateTableAs)
def _create_table_as(element: CreateTableAs, compiler, **kw) -> str:
    return f"CREATE TABLE {compiler.preparer.quote(element.name)} AS {compiler.process(element.select, **kw)}"


@compiles(CreateTableAs, "postgresql")
def _create_table_as_pg(element: CreateTableAs, compiler, **kw) -> str:
    name = compiler.preparer.quote(element.name)
    return f"CREATE UNLOGGED TABLE {name} AS {compiler.process(element.select, **kw)}"


def working_table_name(run_id: int, transition_id: int) -> str:
    return f"{WORKING_PREFIX}{int(run_id)}_{int(transition_id)}"


def scratch_table_name(task_id: int, n: int) -> str:
    return f"{SCRATCH_PREFIX}{int(task_id)}_{int(n)}"


def table_clause(name: str, columns: list[str]) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


def create(name: str, select, key_columns: list[str], *, log=None, replace: bool = True) -> int:
    """(Re)create ``name`` from ``select``, index it on ``key_columns``; returns its row count.

    ``replace=False`` skips the ``DROP TABLE IF EXISTS`` round trip when the caller knows no table can
    exist: a task's first attempt (an attempt's tables are created in its transaction, so only a
    committed earlier attempt could have left one, and every re-execution increments the attempt)."""
    if replace:
        drop(name)
    statement = CreateTableAs(name, select)
    if log is not None:
        log(database.compile_statement(statement)[0])
    rowcount = database.execute(statement)
    return finish(name, key_columns, rowcount=rowcount)


def finish(name: str, key_columns: list[str], *, rowcount: int | None = None, log=None) -> int:
    """Index a freshly filled working table on its key, analyse it; returns its row count."""
    if key_columns:
        table = sa.Table(name, sa.MetaData(), *(sa.Column(c) for c in key_columns))
        database.execute(CreateIndex(sa.Index(f"{name}_k", *(table.c[c] for c in key_columns))))
    if connection.vendor == "postgresql":
        rows = rowcount if rowcount is not None and rowcount >= 0 else count(name)
        if rows >= ANALYZE_FROM_ROWS:  # fresh statistics for the next activity's plans; tiny tables need none
            with connection.cursor() as cursor:
                cursor.execute(f'ANALYZE "{name}"')  # name built from integers above
        return rows
    return count(name)


def count(name: str) -> int:
    return int(database.fetch_value(sa.select(sa.func.count()).select_from(sa.table(name))) or 0)


def drop(name: str) -> None:
    if not name.startswith((WORKING_PREFIX, SCRATCH_PREFIX)):
        raise ValueError(f"{name!r} is not a working table")
    database.execute(DropTable(sa.Table(name, sa.MetaData()), if_exists=True))


def preview(name: str, columns: list[str], limit: int) -> list[list]:
    """The first ``limit`` rows of a working table (ordered by its first columns for stable pages)."""
    table = table_clause(name, columns)
    statement = sa.select(*(table.c[c] for c in columns)).order_by(*(table.c[c] for c in columns[:1]))
    return [list(row) for row in database.fetch_all(statement.limit(limit))]


def existing_working_tables() -> list[str]:
    names = connection.introspection.table_names()
    return [n for n in names if n.startswith((WORKING_PREFIX, SCRATCH_PREFIX))]
