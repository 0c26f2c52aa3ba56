"""How names in an expression get their meaning: fields through a resolver, variables through a dict.

The catalog will provide the real resolver (fields of a schema, link paths turned into joins); the
expression compiler only depends on this protocol. ``TableResolver`` serves one SQLAlchemy table and
knows no links, which is all the tests and simple callers need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from django.utils.translation import gettext as _

from audiences.query.types import Type, type_of_sql


@dataclass(frozen=True)
class ResolvedColumn:
    """A field as SQL (a column or any column expression) and its value type."""

    column: sa.ColumnElement
    type: Type


class UnknownName(LookupError):
    """Raised by a resolver for a field or link it does not know; the message is shown to the user."""


class Resolver(Protocol):
    def field(self, path: tuple[str, ...], name: str) -> ResolvedColumn:
        """Resolve ``name`` reached through the links in ``path`` (empty for the current table)."""
        ...


class TableResolver:
    """Fields are the columns of one table; types come from ``types`` or else the column's SQL type."""

    def __init__(self, table: sa.Table | sa.TableClause, types: Mapping[str, Type] | None = None):
        self.table = table
        self.types = dict(types or {})

    def field(self, path: tuple[str, ...], name: str) -> ResolvedColumn:
        if path:
            raise UnknownName(_("unknown link %(link)s") % {"link": path[0]})
        if name not in self.table.c:
            raise UnknownName(_("unknown field @%(name)s") % {"name": name})
        column = self.table.c[name]
        return ResolvedColumn(column, self.types.get(name) or type_of_sql(column.type))


# A campaign variable: its type and its value (bound as a parameter, never written into the SQL).
Variables = Mapping[str, tuple[Type, Any]]
