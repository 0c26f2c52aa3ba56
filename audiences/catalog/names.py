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
# Column names PostgreSQL gives its system columns (a table cannot have a column of that name: CREATE
# TABLE fails) and SQLite's aliases of the rowid (a column of that name hides it).
SYSTEM_COLUMNS = frozenset({"xmin", "xmax", "cmin", "cmax", "ctid", "oid", "tableoid", "rowid", "_rowid_"})
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
    """Model-field validator for field and link names; field names become columns, so the system
    column names of PostgreSQL and SQLite are refused as well."""
    problem = name_problem(value)
    if not problem and value.lower() in SYSTEM_COLUMNS:
        problem = _("“%(name)s” is the name of a database system column.") % {"name": value}
    if problem:
        raise ValidationError(problem, code="invalid_name")


def validate_schema_name(value: object) -> None:
    """Schema names leave room for the physical table prefix within PostgreSQL's 63 characters."""
    problem = name_problem(value, max_length=MAX_SCHEMA_NAME_LENGTH)
    if problem:
        raise ValidationError(problem, code="invalid_name")


def managed_table_name(schema_name: str) -> str:
    return f"{TABLE_PREFIX}{schema_name}"
