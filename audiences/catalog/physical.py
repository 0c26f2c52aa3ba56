"""The physical side of the catalog: SQLAlchemy ``Table`` objects built from catalog rows, and the
DDL that creates and alters managed tables.

Every identifier printed into SQL comes from a catalog row whose name passed ``names.py`` and is quoted
by SQLAlchemy's identifier preparer for the connection's dialect.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import sqlalchemy as sa
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex, CreateTable, DropIndex, DropTable, ExecutableDDLElement

from audiences.catalog import database
from audiences.catalog.models import Field, Schema, SchemaIndex
from audiences.catalog.types import field_type


def field_column(field: Field, *, nullable: bool | None = None) -> sa.Column:
    """The column of one field. Its ``key`` is the field name; its SQL name the fixed column name."""
    return sa.Column(
        field.column_name,
        field_type(field.type).sql_type(field),
        key=field.name,
        primary_key=field.primary_key,
        nullable=(not field.required) if nullable is None else nullable,
        autoincrement=False,
        info={"personal": field.is_personal},  # read by campaigns.engine.lineage
    )


def build_table(schema: Schema, fields: Iterable[Field] | None = None, metadata: sa.MetaData | None = None):
    """A fresh ``sa.Table`` for ``schema`` (columns in field order, keyed by field name)."""
    fields = list(schema.fields.all()) if fields is None else list(fields)
    fields.sort(key=lambda f: (f.position, f.pk or 0))
    return sa.Table(schema.table_name, metadata or sa.MetaData(), *(field_column(f) for f in fields))


class AddColumn(ExecutableDDLElement):
    """``ALTER TABLE t ADD COLUMN c type``: the one online change SQLite and PostgreSQL both do cheaply."""

    def __init__(self, table: sa.Table, column: sa.Column):
        self.table = table
        self.column = column


class DropColumn(ExecutableDDLElement):
    def __init__(self, table: sa.Table, column: sa.Column):
        self.table = table
        self.column = column


@compiles(AddColumn)
def _add_column(element: AddColumn, compiler, **kw) -> str:
    table = compiler.preparer.format_table(element.table)
    return f"ALTER TABLE {table} ADD COLUMN {compiler.get_column_specification(element.column)}"


@compiles(DropColumn)
def _drop_column(element: DropColumn, compiler, **kw) -> str:
    table = compiler.preparer.format_table(element.table)
    return f"ALTER TABLE {table} DROP COLUMN {compiler.preparer.format_column(element.column)}"


# PostgreSQL's "program limit exceeded" errors a table definition can hit: too many columns (54011),
# a row too big (54000). They are the user's definition, not a server fault.
_LIMIT_SQLSTATES = frozenset({"54000", "54011"})


def _limit_problem(exc: DatabaseError) -> str | None:
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or getattr(exc.__cause__, "pgcode", None)
    if sqlstate in _LIMIT_SQLSTATES or str(exc).startswith("too many columns"):  # the latter: SQLite
        return _("The database refuses this table definition: %(error)s") % {
            "error": str(exc.__cause__).splitlines()[0]
        }
    return None


def _execute_ddl(statement, key: str) -> None:
    try:
        database.execute(statement)
    except DatabaseError as exc:
        problem = _limit_problem(exc)
        if problem is None:
            raise
        raise ValidationError({key: problem}) from None


def create_table(schema: Schema, fields: list[Field]) -> None:
    _execute_ddl(CreateTable(build_table(schema, fields)), "fields")


def drop_table(schema: Schema) -> None:
    database.execute(DropTable(sa.Table(schema.table_name, sa.MetaData())))


def add_column(schema: Schema, field: Field) -> None:
    """Added columns are nullable in the table: existing rows have no value; ingestion checks ``required``."""
    table = sa.Table(schema.table_name, sa.MetaData())
    column = field_column(field, nullable=True)
    table.append_column(column)
    _execute_ddl(AddColumn(table, column), "schema")


def drop_column(schema: Schema, field: Field) -> None:
    table = sa.Table(schema.table_name, sa.MetaData())
    column = sa.Column(field.column_name, sa.Integer)
    table.append_column(column)
    database.execute(DropColumn(table, column))


def index_name(schema: Schema, columns: list[str], unique: bool) -> str:
    """A stable name within 63 characters, whatever the table and column names' lengths."""
    digest = hashlib.sha1(  # noqa: S324 - a name, not a secret
        f"{schema.table_name}:{','.join(columns)}:{unique}".encode()
    ).hexdigest()[:10]
    return f"oc_{'ux' if unique else 'ix'}_{schema.table_name[:40]}_{digest}"


def _index_object(index: SchemaIndex) -> sa.Index:
    table = sa.Table(
        index.schema.table_name, sa.MetaData(), *(sa.Column(c, sa.Integer) for c in index.columns)
    )
    return sa.Index(index.name, *(table.c[c] for c in index.columns), unique=index.unique)


def create_index(index: SchemaIndex) -> None:
    database.execute(CreateIndex(_index_object(index)))


def drop_index(index: SchemaIndex) -> None:
    database.execute(DropIndex(_index_object(index)))
