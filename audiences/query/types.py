"""The value types of the expression language, their SQL types and the widening rules.

One small closed set of types is what lets the type checker reject `@email + 1` before any SQL is built,
and what lets the rule engine pick operators by type. Values come back from the two databases in
different shapes (SQLite hands dates back as text, booleans as 0/1), so ``python_value`` is the one place
that turns a raw database value into the Python value its type promises.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from dataclasses import dataclass

import sqlalchemy as sa
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _


class Type(enum.StrEnum):
    """A value type. The last five are only seen inside function calls (window clauses, CASE parts)."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    NULL = "null"
    ANY = "any"
    # Clause types: produced and consumed only by the functions that build CASE and window clauses.
    SORT_KEY = "sort key"
    PARTITION = "partition"
    ORDERING = "ordering"
    WHEN = "when"
    ELSE = "else"

    @property
    def label(self) -> str:
        return str(TYPE_LABELS[self])


TYPE_LABELS = {
    Type.STRING: _("string"),
    Type.INTEGER: _("integer"),
    Type.DECIMAL: _("decimal"),
    Type.FLOAT: _("float"),
    Type.BOOLEAN: _("boolean"),
    Type.DATE: _("date"),
    Type.DATETIME: _("date+time"),
    Type.NULL: _("null"),
    Type.ANY: _("any value"),
    Type.SORT_KEY: _("Desc(...)"),
    Type.PARTITION: _("PartitionBy(...)"),
    Type.ORDERING: _("OrderBy(...)"),
    Type.WHEN: _("When(...)"),
    Type.ELSE: _("Else(...)"),
}

NUMERIC_ORDER = (Type.INTEGER, Type.DECIMAL, Type.FLOAT)
VALUE_TYPES = frozenset(
    {Type.STRING, Type.INTEGER, Type.DECIMAL, Type.FLOAT, Type.BOOLEAN, Type.DATE, Type.DATETIME}
)
CLAUSE_TYPES = frozenset({Type.SORT_KEY, Type.PARTITION, Type.ORDERING, Type.WHEN, Type.ELSE})


@dataclass(frozen=True)
class TypeSet:
    """What an argument accepts: a name for messages and docs, and the accepted types."""

    name: str
    members: frozenset[Type]

    def accepts(self, value_type: Type) -> bool:
        if value_type in self.members:
            return True
        if value_type in CLAUSE_TYPES:
            return False
        if Type.ANY in self.members:
            return True
        # A null or an untyped value fits any value argument; the database decides at run time.
        return value_type in (Type.NULL, Type.ANY) and bool(self.members & VALUE_TYPES)


def one_of(name: str, *members: Type) -> TypeSet:
    return TypeSet(name, frozenset(members))


STRING = one_of("string", Type.STRING)
INTEGER = one_of("integer", Type.INTEGER)
NUMBER = one_of("number", *NUMERIC_ORDER)
BOOLEAN = one_of("boolean", Type.BOOLEAN)
TEMPORAL = one_of("date", Type.DATE, Type.DATETIME)
DATETIME = one_of("date+time", Type.DATETIME, Type.DATE)
ORDERABLE = one_of("number, string or date", *NUMERIC_ORDER, Type.STRING, Type.DATE, Type.DATETIME)
ANY = one_of("any", Type.ANY)


def is_numeric(value_type: Type) -> bool:
    return value_type in NUMERIC_ORDER


def is_temporal(value_type: Type) -> bool:
    return value_type in (Type.DATE, Type.DATETIME)


def common_type(*types: Type) -> Type | None:
    """The type two or more values share after implicit widening, or None when they do not mix.

    Integer widens to decimal, decimal to float, date to date+time; null takes the other side's type.
    """
    known = [t for t in types if t not in (Type.NULL, Type.ANY)]
    if not known:
        return Type.ANY if Type.ANY in types else Type.NULL
    if all(is_numeric(t) for t in known):
        return max(known, key=NUMERIC_ORDER.index)
    if all(is_temporal(t) for t in known):
        return Type.DATETIME if Type.DATETIME in known else Type.DATE
    first = known[0]
    return first if all(t == first for t in known) else None


def sql_type(value_type: Type) -> sa.types.TypeEngine:
    """The SQLAlchemy type used for bound parameters and casts of a value type."""
    return {
        Type.STRING: sa.String(),
        Type.INTEGER: sa.BigInteger(),
        Type.DECIMAL: sa.Numeric(),
        Type.FLOAT: sa.Float(),
        Type.BOOLEAN: sa.Boolean(),
        Type.DATE: sa.Date(),
        Type.DATETIME: sa.DateTime(timezone=True),
    }.get(value_type, sa.types.NullType())


def type_of_sql(sql: sa.types.TypeEngine) -> Type:
    """The value type of a column, from its SQLAlchemy type (used by ``TableResolver``)."""
    checks = (
        (sa.Boolean, Type.BOOLEAN),
        (sa.Integer, Type.INTEGER),
        (sa.Float, Type.FLOAT),
        (sa.Numeric, Type.DECIMAL),
        (sa.DateTime, Type.DATETIME),
        (sa.Date, Type.DATE),
        (sa.String, Type.STRING),
    )
    for sql_class, value_type in checks:
        if isinstance(sql, sql_class):
            return value_type
    return Type.ANY


def python_value(raw: object, value_type: Type) -> object:
    """A database value as the Python value of ``value_type`` (date+time values are aware, in UTC)."""
    if raw is None:
        return None
    if value_type == Type.BOOLEAN:
        return bool(raw)
    if value_type == Type.INTEGER:
        return int(raw)
    if value_type == Type.DECIMAL:
        return raw if isinstance(raw, decimal.Decimal) else decimal.Decimal(str(raw))
    if value_type == Type.FLOAT:
        return float(raw)
    if value_type == Type.DATE:
        if isinstance(raw, dt.datetime):
            return raw.date()
        return raw if isinstance(raw, dt.date) else parse_date(str(raw)[:10])
    if value_type == Type.DATETIME:
        if isinstance(raw, dt.datetime):
            value = raw
        elif isinstance(raw, dt.date):
            value = dt.datetime.combine(raw, dt.time())
        else:
            value = parse_datetime(str(raw)) or dt.datetime.combine(parse_date(str(raw)[:10]), dt.time())
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
    return raw
