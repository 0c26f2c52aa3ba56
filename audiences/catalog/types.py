"""The field types of the catalog, as a registry: key -> SQLAlchemy type, Django introspection names.

Ingestion, the rule compiler and the DDL import all ask this registry; adding a type means adding one
``FieldType`` here (and its conversions in the ingestion package), never a new ``if`` elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from audiences.catalog.models import Field

DEFAULT_STRING_LENGTH = 255


class FieldTypeKey(models.TextChoices):
    STRING = "string", _("String")
    TEXT = "text", _("Text")
    INTEGER = "integer", _("Integer")
    BIGINT = "bigint", _("Big integer")
    DECIMAL = "decimal", _("Decimal")
    FLOAT = "float", _("Float")
    BOOLEAN = "boolean", _("Boolean")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    ENUM = "enum", _("Enumeration")


@dataclass(frozen=True)
class FieldType:
    key: str
    label: str | Promise
    sql_type: Callable[[Field], sa.types.TypeEngine]
    # Django introspection's field class names (connection.introspection.get_field_type) mapped here.
    introspected_as: tuple[str, ...] = ()
    # Types comparable for link keys and ordering (version fields).
    family: str = ""
    orderable: bool = True


def _string(field: Field) -> sa.types.TypeEngine:
    return sa.String(field.max_length or DEFAULT_STRING_LENGTH)


def _enum(field: Field) -> sa.types.TypeEngine:
    longest = max((len(str(v)) for v in field.enum_values or []), default=1)
    return sa.String(max(longest, field.max_length or 0, 1))


def _decimal(field: Field) -> sa.types.TypeEngine:
    return sa.Numeric(field.precision, field.scale or 0, asdecimal=True)


FIELD_TYPES: dict[str, FieldType] = {}


def register_field_type(field_type: FieldType) -> None:
    if field_type.key in FIELD_TYPES:
        raise ValueError(f"Field type {field_type.key!r} is already registered")
    FIELD_TYPES[field_type.key] = field_type


for _ft in (
    FieldType(FieldTypeKey.STRING, FieldTypeKey.STRING.label, _string, ("CharField",), "text"),
    FieldType(FieldTypeKey.TEXT, FieldTypeKey.TEXT.label, lambda f: sa.Text(), ("TextField",), "text"),
    FieldType(
        FieldTypeKey.INTEGER,
        FieldTypeKey.INTEGER.label,
        lambda f: sa.Integer(),
        (
            "IntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "AutoField",
            "SmallAutoField",
        ),
        "number",
    ),
    FieldType(
        FieldTypeKey.BIGINT,
        FieldTypeKey.BIGINT.label,
        lambda f: sa.BigInteger(),
        ("BigIntegerField", "PositiveBigIntegerField", "BigAutoField"),
        "number",
    ),
    FieldType(FieldTypeKey.DECIMAL, FieldTypeKey.DECIMAL.label, _decimal, ("DecimalField",), "number"),
    FieldType(FieldTypeKey.FLOAT, FieldTypeKey.FLOAT.label, lambda f: sa.Double(), ("FloatField",), "number"),
    FieldType(
        FieldTypeKey.BOOLEAN,
        FieldTypeKey.BOOLEAN.label,
        lambda f: sa.Boolean(create_constraint=False),
        ("BooleanField", "NullBooleanField"),
        "boolean",
        orderable=False,
    ),
    FieldType(FieldTypeKey.DATE, FieldTypeKey.DATE.label, lambda f: sa.Date(), ("DateField",), "date"),
    FieldType(
        FieldTypeKey.DATETIME,
        FieldTypeKey.DATETIME.label,
        lambda f: sa.DateTime(timezone=True),
        ("DateTimeField",),
        "datetime",
    ),
    FieldType(FieldTypeKey.ENUM, FieldTypeKey.ENUM.label, _enum, (), "text", orderable=False),
):
    register_field_type(_ft)


def field_type(key: str) -> FieldType:
    return FIELD_TYPES[key]


def type_for_introspected(django_field_class: str) -> str | None:
    """Our type key for a Django introspection field class name, or None when unsupported."""
    for ft in FIELD_TYPES.values():
        if django_field_class in ft.introspected_as:
            return ft.key
    return None


# Declared column types (SQLite keeps them as written) that Django's introspection does not map.
DECLARED_TYPES = {
    "numeric": FieldTypeKey.DECIMAL,
    "timestamp": FieldTypeKey.DATETIME,
    "timestamptz": FieldTypeKey.DATETIME,
    "double": FieldTypeKey.FLOAT,
    "double precision": FieldTypeKey.FLOAT,
    "float": FieldTypeKey.FLOAT,
    "character varying": FieldTypeKey.STRING,
    "int8": FieldTypeKey.BIGINT,
    "int4": FieldTypeKey.INTEGER,
    "int2": FieldTypeKey.INTEGER,
}


def type_for_declared(declared: str) -> str | None:
    """Our type key for a declared SQL type such as ``numeric(6, 2)``, or None."""
    base = declared.split("(", 1)[0].strip().lower()
    return DECLARED_TYPES.get(base)


# Types a version field may have: they order updates.
VERSION_TYPES = (
    FieldTypeKey.INTEGER,
    FieldTypeKey.BIGINT,
    FieldTypeKey.DECIMAL,
    FieldTypeKey.DATETIME,
    FieldTypeKey.DATE,
    FieldTypeKey.FLOAT,
)
