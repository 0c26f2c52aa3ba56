"""SQLAlchemy Core statements compiled for Django's connection and run on its cursor.

SQLAlchemy is only a SQL builder here: statements are compiled with ``paramstyle="format"`` so that
placeholders come out as ``%s`` (what Django's cursors expect on both backends) and run inside Django's
transaction, keeping the catalog rows and the physical tables consistent.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connections
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement


def dialect(using: str = "default") -> Dialect:
    """The SQLAlchemy dialect of a Django database connection."""
    return dialect_for(connections[using].vendor)


@cache
def dialect_for(vendor: str) -> Dialect:
    """The SQLAlchemy dialect for a Django vendor name, printing ``%s`` placeholders."""
    if vendor == "postgresql":
        return postgresql.psycopg.dialect(paramstyle="format")
    if vendor == "sqlite":
        return sqlite.dialect(paramstyle="format")
    raise NotImplementedError(f"Unsupported database vendor {vendor!r}")


def compile_statement(statement: ClauseElement, using: str = "default") -> tuple[str, list[Any]]:
    """SQL text and positional parameters of ``statement`` for the connection's dialect."""
    # render_postcompile expands IN lists into one bound placeholder per value.
    compiled = statement.compile(dialect=dialect(using), compile_kwargs={"render_postcompile": True})
    positions = getattr(compiled, "positiontup", None) or []
    return str(compiled), [compiled.params[name] for name in positions]


def execute(statement: ClauseElement, using: str = "default") -> int:
    """Run one statement on Django's connection; returns the cursor's row count."""
    sql, params = compile_statement(statement, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch_all(statement: ClauseElement, using: str = "default") -> list[tuple]:
    sql, params = compile_statement(statement, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_value(statement: ClauseElement, using: str = "default") -> Any:
    rows = fetch_all(statement, using)
    return rows[0][0] if rows else None
