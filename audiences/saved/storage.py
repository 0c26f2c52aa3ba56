"""The members table of a static audience: ``oc_aud_<id>``, one column per key field of its dimension.

Written set-based (CREATE TABLE AS from a SELECT, or an uploaded list inserted in batches), read with a
semi-join. Identifiers come from the catalog's key fields; the table name from the audience's id.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable, CreateTableAs, DropTable

from audiences.catalog import database
from audiences.catalog.physical import field_column


def members_table(audience, keys, suffix: str = "") -> sa.Table:
    """The members table of ``audience``: columns named and keyed by the key fields' names."""
    columns = [field_column(f, nullable=False) for f in keys]
    for column, f in zip(columns, keys, strict=True):
        column.name = f.name
        column.primary_key = False
    return sa.Table(f"{audience.members_table_name}{suffix}", sa.MetaData(), *columns)


def members_drop(audience, suffix: str = "") -> None:
    table = sa.Table(f"{audience.members_table_name}{suffix}", sa.MetaData())
    database.execute(DropTable(table, if_exists=True))


def members_index(table: sa.Table, keys) -> None:
    name = f"{table.name}_keys"
    database.execute(CreateIndex(sa.Index(name, *(table.c[f.name] for f in keys))))


def members_create_as(audience, keys, select: sa.Select) -> int:
    """Replace the members with the distinct keys of ``select`` (labelled by key field name)."""
    members_drop(audience)
    names = [f.name for f in keys]
    subquery = select.subquery("src")
    distinct = sa.select(*(subquery.c[name].label(name) for name in names)).distinct()
    database.execute(CreateTableAs(distinct, audience.members_table_name))
    table = members_table(audience, keys)
    members_index(table, keys)
    return int(database.fetch_value(sa.select(sa.func.count()).select_from(table)) or 0)


def members_create_empty(audience, keys, suffix: str = "") -> sa.Table:
    """An empty table of keys (the staging table of an upload, with ``suffix``)."""
    members_drop(audience, suffix)
    table = members_table(audience, keys, suffix)
    database.execute(CreateTable(table))
    return table
