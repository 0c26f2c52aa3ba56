"""Printing SQLAlchemy statements for the database Django is connected to, and running them there.

SQLAlchemy is only the SQL builder: statements are compiled with a ``format`` paramstyle (``%s``
placeholders, literal ``%`` doubled), which is what Django's cursors expect on both SQLite and
PostgreSQL, then executed on Django's own connection so they share its transaction.
"""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


@cache
def dialect_for(vendor: str) -> sa.engine.Dialect:
    if vendor == "sqlite":
        return sqlite.dialect(paramstyle="format")
    if vendor == "postgresql":
        return postgresql.psycopg.dialect(paramstyle="format")
    raise ValueError(f"unsupported database {vendor!r}")


def compile_for(connection, clause: sa.ClauseElement) -> tuple[str, list]:
    """SQL text and positional parameters of ``clause`` for ``connection`` (a Django connection)."""
    compiled = clause.compile(
        dialect=dialect_for(connection.vendor), compile_kwargs={"render_postcompile": True}
    )
    return str(compiled), [compiled.params[name] for name in getattr(compiled, "positiontup", None) or ()]


def fetch_all(connection, statement: sa.Select) -> list[tuple]:
    """Run a SELECT on Django's connection and return its rows (for previews and tests, never populations)."""
    sql, params = compile_for(connection, statement)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
