"""Name checks for everything that becomes a SQL identifier: schemas, fields, links.

Identifiers are always quoted by SQLAlchemy when printed, but a name is still refused unless it is a
plain lower-case identifier that is not reserved in PostgreSQL or SQLite: names travel into rule JSON,
expressions (``@customer.email``), CSV headers and other databases' tools, where quoting is not assured.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS as POSTGRESQL_RESERVED
from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer
from sqlalchemy.sql.compiler import RESERVED_WORDS as ANSI_RESERVED

NAME_PATTERN = re.compile(r"[a-z_][a-z0-9_]*")  # fullmatch only: with match, "$" accepts a trailing newline
MAX_NAME_LENGTH = 63  # PostgreSQL's identifier limit (NAMEDATALEN - 1)
TABLE_PREFIX = "oc_data_"
MAX_SCHEMA_NAME_LENGTH = MAX_NAME_LENGTH - len(TABLE_PREFIX)
# Column names the platform gives a meaning of its own (ingestion's change-data-capture column).
PLATFORM_NAMES = frozenset({"_change_request_type"})
RESERVED_WORDS = frozenset(
    w.lower() for w in (*POSTGRESQL_RESERVED, *SQLiteIdentifierPreparer.reserved_words, *ANSI_RESERVED)
)


def name_problem(value: object, *, max_length: int = MAX_NAME_LENGTH) -> str | None:
    """Why ``value`` is not an acceptable name, or None when it is."""
    if not isinstance(value, str) or not value:
        return _("A name is required.")
    if len(value) > max_length:
        return _("At most %(max)d characters (this one has %(length)d).") % {
            "max": max_length,
            "length": len(value),
        }
    if not NAME_PATTERN.fullmatch(value):
        return _("Use lower-case letters, digits and underscores, starting with a letter or an underscore.")
    if value in RESERVED_WORDS:
        return _("“%(name)s” is a reserved SQL word.") % {"name": value}
    if value in PLATFORM_NAMES:
        return _("“%(name)s” is reserved by the platform.") % {"name": value}
    return None


def validate_name(value: object) -> None:
    """Model-field validator for field and link names."""
    problem = name_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_name")


def validate_schema_name(value: object) -> None:
    """Schema names leave room for the physical table prefix within PostgreSQL's 63 characters."""
    problem = name_problem(value, max_length=MAX_SCHEMA_NAME_LENGTH)
    if problem:
        raise ValidationError(problem, code="invalid_name")


def managed_table_name(schema_name: str) -> str:
    return f"{TABLE_PREFIX}{schema_name}"
