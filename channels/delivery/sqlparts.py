"""Small SQL pieces the delivery statements share, one per dialect where the databases differ."""

from __future__ import annotations

import sqlalchemy as sa
from django.db import connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

from audiences.catalog import database


class CreateTableAs(Executable, ClauseElement):
    """``CREATE [UNLOGGED] TABLE name AS <select>`` with the select's values kept as parameters."""

    inherit_cache = False

    def __init__(self, name: str, select):
        self.name = name
        self.select = select


@compiles(CreateTableAs)
def _ctas(element, compiler, **kw):
    return f"CREATE TABLE {compiler.preparer.quote(element.name)} AS {compiler.process(element.select, **kw)}"


@compiles(CreateTableAs, "postgresql")
def _ctas_pg(element, compiler, **kw):
    name = compiler.preparer.quote(element.name)
    return f"CREATE UNLOGGED TABLE {name} AS {compiler.process(element.select, **kw)}"


def drop_table(name: str) -> None:
    database.execute(sa.schema.DropTable(sa.Table(name, sa.MetaData()), if_exists=True))


def insert(table):
    """The dialect's INSERT (both support ``on_conflict_do_nothing`` and ``from_select``)."""
    return postgresql.insert(table) if connection.vendor == "postgresql" else sqlite.insert(table)


def db_datetime(value):
    """A datetime as the connection stores it (naive UTC text on SQLite, aware on PostgreSQL)."""
    return connection.ops.adapt_datetimefield_value(value)


def json_object(pairs: list[tuple[str, sa.ColumnElement]]) -> sa.ColumnElement:
    """A JSON object built in SQL from (key, value) pairs, in chunks below the function-argument limits."""
    pg = connection.vendor == "postgresql"
    build = sa.func.jsonb_build_object if pg else sa.func.json_object
    if not pairs:
        return build()
    chunks = []
    for start in range(0, len(pairs), 40):
        args = []
        for key, value in pairs[start : start + 40]:
            args += [sa.literal(key, sa.String), value]
        chunks.append(build(*args))
    result = chunks[0]
    for chunk in chunks[1:]:
        result = result.op("||")(chunk) if pg else sa.func.json_patch(result, chunk)
    return result


def domain_of(address: sa.ColumnElement) -> sa.ColumnElement:
    if connection.vendor == "postgresql":
        return sa.func.split_part(address, "@", 2)
    return sa.func.substr(address, sa.func.instr(address, "@") + 1)
