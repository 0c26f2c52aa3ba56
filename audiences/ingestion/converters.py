"""Text -> typed value conversions, one registered ``Converter`` per catalog field type.

Every loaded value arrives as text (a CSV cell, a JSON scalar turned into text) and is checked and
converted set-based in the database. Each converter states the same rule twice, kept side by side so they
cannot drift: as SQL for PostgreSQL (a predicate and a cast over the staging column) and in Python for
SQLite, where it runs as a registered SQL function (``oc_ingest_check`` / ``oc_ingest_value``) inside
the same set-based statements. Both sides accept exactly the same texts; the tests load the same files
on both databases.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audiences.catalog.types import DEFAULT_STRING_LENGTH, FieldTypeKey

INT_PATTERN = r"^[+-]?[0-9]+$"  # any number of digits (leading zeros), then the range decides
DECIMAL_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
FLOAT_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$"
_DAY = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN = rf"^{_DAY}$"
DATETIME_PATTERN = (
    rf"^{_DAY}([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{{1,6}})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?$"
)
# White space ignored around non-text values: C's isspace(), the set PostgreSQL's input functions skip.
WHITESPACE = " \t\n\r\v\f"
TRUE_TEXTS = ("true", "t", "1", "yes", "y")
FALSE_TEXTS = ("false", "f", "0", "no", "n")
INT_RANGES = {
    FieldTypeKey.INTEGER: (-(2**31), 2**31 - 1),
    FieldTypeKey.BIGINT: (-(2**63), 2**63 - 1),
}
FLOAT_MIN, FLOAT_MAX = Decimal("1e-307"), Decimal("1e308")


@dataclass(frozen=True)
class FieldSpec:
    """What a converter needs to know of a field (hashable: cached per load and per SQLite call)."""

    type: str
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    enum_values: tuple[str, ...] = ()

    @classmethod
    def of(cls, field) -> FieldSpec:
        return cls(field.type, field.max_length, field.precision, field.scale, tuple(field.enum_values or ()))

    def as_json(self) -> str:
        return json.dumps([self.type, self.max_length, self.precision, self.scale, list(self.enum_values)])

    @property
    def trims(self) -> bool:
        """Free text keeps its spaces; every other type ignores surrounding spaces."""
        return self.type not in (FieldTypeKey.STRING, FieldTypeKey.TEXT)


@dataclass(frozen=True)
class Converter:
    key: str
    reason: Promise | str
    # Python side: the value of a present (non-empty, trimmed) text; raises ValueError when invalid.
    parse: Callable[[str, FieldSpec], Any]
    # PostgreSQL side: a predicate true when the (non-empty) text is valid, and its cast.
    pg_valid: Callable[[sa.ColumnElement, FieldSpec], sa.ColumnElement]
    pg_cast: Callable[[sa.ColumnElement, FieldSpec], sa.ColumnElement]
    # PostgreSQL screening (the fast path, ``fastpath.py``): true only for a non-NULL text that ``parse``
    # accepts AND that PostgreSQL's own input function reads to the same value. False never rejects a
    # value: it sends the load to the detailed checks. The default sends every load there.
    pg_quick: Callable[[sa.ColumnElement, FieldSpec], sa.ColumnElement] = lambda value, spec: sa.false()
    # SQLite storage of a parsed value (what Django itself stores in that column).
    sqlite_store: Callable[[Any], Any] = lambda value: value


CONVERTERS: dict[str, Converter] = {}


def register_converter(converter: Converter) -> None:
    if converter.key in CONVERTERS:
        raise ValueError(f"A converter for {converter.key!r} is already registered")
    CONVERTERS[converter.key] = converter


def _match(pattern: str, text: str) -> None:
    if not re.match(pattern, text):
        raise ValueError(text)


# --- Python parsers -----------------------------------------------------------------------------------
def _parse_int(text: str, spec: FieldSpec) -> int:
    """As PostgreSQL's int4in/int8in read it: [+-]digits (leading zeros allowed) within range."""
    _match(INT_PATTERN, text)
    value, (low, high) = int(text), INT_RANGES[spec.type]
    if not low <= value <= high:
        raise ValueError(text)
    return value


def _parse_decimal(text: str, spec: FieldSpec) -> Decimal:
    _match(DECIMAL_PATTERN, text)
    scale = spec.scale or 0
    value = Decimal(text).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    if abs(value) >= Decimal(10) ** ((spec.precision or 0) - scale):
        raise ValueError(text)
    return value


def _parse_float(text: str, spec: FieldSpec) -> float:
    _match(FLOAT_PATTERN, text)
    number = Decimal(text)
    if number != 0 and not FLOAT_MIN <= abs(number) <= FLOAT_MAX:
        raise ValueError(text)
    return float(text)


def _parse_bool(text: str, spec: FieldSpec) -> bool:
    lowered = text.lower()
    if lowered not in TRUE_TEXTS + FALSE_TEXTS:
        raise ValueError(text)
    return lowered in TRUE_TEXTS


def _parse_date(text: str, spec: FieldSpec) -> dt.date:
    _match(DATE_PATTERN, text)
    return dt.date.fromisoformat(text)


def _parse_datetime(text: str, spec: FieldSpec) -> dt.datetime:
    _match(DATETIME_PATTERN, text)
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # naive texts are UTC, as on PostgreSQL's UTC session
    return moment.astimezone(dt.UTC)


def _parse_enum(text: str, spec: FieldSpec) -> str:
    if text not in spec.enum_values:
        raise ValueError(text)
    return text


def _parse_string(text: str, spec: FieldSpec) -> str:
    if len(text) > (spec.max_length or DEFAULT_STRING_LENGTH):
        raise ValueError(text)
    return text


# --- PostgreSQL predicates and casts --------------------------------------------------------------------
def _regex_then(value: sa.ColumnElement, pattern: str, check: sa.ColumnElement) -> sa.ColumnElement:
    """``check`` evaluated only on texts matching ``pattern`` (CASE keeps casts away from bad texts)."""
    return sa.case((value.regexp_match(pattern), check), else_=sa.false())


def _as_numeric(value):
    return sa.cast(value, sa.Numeric())


def _pg_int_valid(value, spec):
    """Up to 9 digits always fits; longer texts are compared with the type's range."""
    low, high = INT_RANGES[spec.type]
    return sa.case(
        (value.regexp_match(r"^[+-]?[0-9]{1,9}$"), sa.true()),
        (value.regexp_match(INT_PATTERN), _as_numeric(value).between(Decimal(low), Decimal(high))),
        else_=sa.false(),
    )


def _pg_decimal_valid(value, spec):
    scale = spec.scale or 0
    bound = Decimal(10) ** ((spec.precision or 0) - scale)
    return _regex_then(value, DECIMAL_PATTERN, sa.func.abs(sa.func.round(_as_numeric(value), scale)) < bound)


def _pg_float_valid(value, spec):
    number = sa.func.abs(_as_numeric(value))
    return _regex_then(value, FLOAT_PATTERN, sa.or_(number == 0, number.between(FLOAT_MIN, FLOAT_MAX)))


def _pg_date_valid(value, spec):
    """The pattern fixes the shape; the day must also exist in its month (no 30 February)."""
    year = sa.cast(sa.func.substr(value, 1, 4), sa.Integer())
    month = sa.cast(sa.func.substr(value, 6, 2), sa.Integer())
    day = sa.cast(sa.func.substr(value, 9, 2), sa.Integer())
    last_day = sa.extract(
        "day", sa.func.make_date(year, month, 1) + sa.text("interval '1 month'") - sa.text("interval '1 day'")
    )
    pattern = DATETIME_PATTERN if spec.type == FieldTypeKey.DATETIME else DATE_PATTERN
    exists = sa.case(
        (sa.func.substr(value, 9, 2) <= "28", sa.func.substr(value, 1, 4) != "0000"),
        else_=sa.and_(year > 0, day <= last_day),
    )
    return _regex_then(value, pattern, exists)


def _pg_in(values):
    return lambda value, spec: value.in_(list(values(spec)))


def _pg_string_valid(value, spec):
    return sa.func.char_length(value) <= (spec.max_length or DEFAULT_STRING_LENGTH)


def _cast_to(type_):
    return lambda value, spec: sa.cast(value, type_(spec))


def _iso_date(value: dt.date) -> str:
    return value.isoformat()


def _naive_utc(value: dt.datetime) -> str:
    return value.replace(tzinfo=None).isoformat(" ")


# --- PostgreSQL screening predicates (sound, cheap; see Converter.pg_quick) -------------------------------
# Each is true only for texts in a class where PostgreSQL's input function and ``parse`` agree on both the
# verdict and the value; any other text (even a valid one) goes to the detailed checks. A text that passes
# and still fails PostgreSQL's cast (an out-of-range integer, 2023-02-30) makes the typed COPY fail, which
# also sends the load to the detailed checks. So they may be narrow, never wide.
BOOL_SPELLINGS = tuple(
    spelling
    for text in TRUE_TEXTS + FALSE_TEXTS
    for spelling in dict.fromkeys((text, text.upper(), text.title()))
)


def _quick_true(value, spec):
    """int4in/int8in read exactly ``_parse_int``'s texts ([white space][+-]digits[white space], range)."""
    return sa.true()


def _quick_decimal(value, spec):
    """numeric_in is laxer only through exponents, NaN and Infinity: texts with e/n/i letters (or white
    space other than spaces) are screened out; the typmod rounds half away from zero, as ``_parse_decimal``.
    """
    return value.regexp_match(r"^[0-9. +-]+$")


def _quick_float(value, spec):
    """float8in also reads NaN, Infinity, hexadecimal and denormal numbers: the pattern, then the range."""
    number = sa.func.abs(sa.cast(value, sa.Double()))
    return sa.case(
        (value.regexp_match(FLOAT_PATTERN), sa.or_(number == 0, number.between(FLOAT_MIN, FLOAT_MAX))),
        else_=sa.false(),
    )


def _quick_bool(value, spec):
    """boolin also reads on/off and prefixes (tr, fals): only our spellings, exactly."""
    return value.in_(BOOL_SPELLINGS)


def _quick_date(value, spec):
    """date_in reads many layouts (01/02/2020, Jan 2 2020, epoch): the text must be exactly what
    PostgreSQL prints back (ISO DateStyle, set by the fast path), with a 4-digit year.
    """
    return sa.case(
        (value.like("____-__-__"), sa.cast(sa.cast(value, sa.Date()), sa.Text()) == value), else_=sa.false()
    )


def _quick_datetime(value, spec):
    """The two usual layouts, checked by a round trip: 'YYYY-MM-DD HH:MM:SS[.ffffff]' (naive, UTC: the fast
    path loads with TimeZone UTC) and 'YYYY-MM-DDTHH:MM:SS[.ffffff]Z'. Offsets and other layouts that our
    rule accepts are left to the detailed checks.
    """
    naive = sa.cast(sa.cast(value, sa.DateTime()), sa.Text())
    utc = sa.func.timezone("UTC", sa.cast(value, sa.DateTime(timezone=True)))
    return sa.case(
        (value.like("____-__-__ __:__:__%"), naive == value),
        (
            value.like("____-__-__T__:__:__%Z"),
            sa.cast(utc, sa.Text()) == sa.func.translate(sa.func.left(value, -1), "T", " "),
        ),
        else_=sa.false(),
    )


def _quick_enum(value, spec):
    return value.in_([v for v in spec.enum_values if v and v == v.strip(WHITESPACE)] or [""])


for _converter in (
    Converter(
        FieldTypeKey.STRING,
        _("Too long for this field."),
        _parse_string,
        _pg_string_valid,
        lambda value, spec: value,
        pg_quick=_pg_string_valid,
    ),
    Converter(
        FieldTypeKey.TEXT,
        "",
        lambda text, spec: text,
        lambda v, s: sa.true(),
        lambda v, s: v,
        pg_quick=lambda v, s: sa.true(),
    ),
    Converter(
        FieldTypeKey.INTEGER,
        _("Not a whole number in range."),
        _parse_int,
        _pg_int_valid,
        _cast_to(lambda s: sa.Integer()),
        pg_quick=_quick_true,
    ),
    Converter(
        FieldTypeKey.BIGINT,
        _("Not a whole number in range."),
        _parse_int,
        _pg_int_valid,
        _cast_to(lambda s: sa.BigInteger()),
        pg_quick=_quick_true,
    ),
    Converter(
        FieldTypeKey.DECIMAL,
        _("Not a decimal number that fits this field."),
        _parse_decimal,
        _pg_decimal_valid,
        _cast_to(lambda s: sa.Numeric(s.precision, s.scale or 0)),
        pg_quick=_quick_decimal,
        sqlite_store=str,
    ),
    Converter(
        FieldTypeKey.FLOAT,
        _("Not a number in range."),
        _parse_float,
        _pg_float_valid,
        _cast_to(lambda s: sa.Double()),
        pg_quick=_quick_float,
    ),
    Converter(
        FieldTypeKey.BOOLEAN,
        _("Not a yes/no value (true, false, 1, 0, yes, no)."),
        _parse_bool,
        lambda value, spec: sa.func.lower(value).in_(TRUE_TEXTS + FALSE_TEXTS),
        lambda value, spec: sa.func.lower(value).in_(TRUE_TEXTS),
        pg_quick=_quick_bool,
        sqlite_store=int,
    ),
    Converter(
        FieldTypeKey.DATE,
        _("Not a date (YYYY-MM-DD)."),
        _parse_date,
        _pg_date_valid,
        _cast_to(lambda s: sa.Date()),
        pg_quick=_quick_date,
        sqlite_store=_iso_date,
    ),
    Converter(
        FieldTypeKey.DATETIME,
        _("Not a date and time (YYYY-MM-DD HH:MM[:SS][+HH:MM]; UTC when no offset)."),
        _parse_datetime,
        _pg_date_valid,
        _cast_to(lambda s: sa.DateTime(timezone=True)),
        pg_quick=_quick_datetime,
        sqlite_store=_naive_utc,
    ),
    Converter(
        FieldTypeKey.ENUM,
        _("Not one of the allowed values."),
        _parse_enum,
        _pg_in(lambda spec: spec.enum_values),
        lambda value, spec: value,
        pg_quick=_quick_enum,
    ),
):
    register_converter(_converter)


def converter(spec: FieldSpec) -> Converter:
    return CONVERTERS[spec.type]


def reason_for(spec: FieldSpec) -> str:
    """The message of an invalid value of ``spec``, with the detail its field adds."""
    if spec.type == FieldTypeKey.STRING:
        return gettext("At most %(n)d characters.") % {"n": spec.max_length or DEFAULT_STRING_LENGTH}
    if spec.type == FieldTypeKey.ENUM:
        return gettext("Not one of: %(values)s.") % {"values": ", ".join(spec.enum_values)}
    return str(converter(spec).reason)


def present(text: str | None, spec: FieldSpec) -> str | None:
    """The text a converter sees: None when empty (surrounding spaces ignored except for free text)."""
    if text is None:
        return None
    text = text.strip(WHITESPACE) if spec.trims else text
    return text or None


# --- SQLite functions ---------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def _spec_from_json(raw: str) -> FieldSpec:
    type_, max_length, precision, scale, values = json.loads(raw)
    return FieldSpec(type_, max_length, precision, scale, tuple(values))


def sqlite_check(spec_json: str, text: str | None) -> str | None:
    """``oc_ingest_check(spec, text)``: the reason a present text is invalid, else NULL."""
    spec = _spec_from_json(spec_json)
    value = present(text, spec)
    if value is None:
        return None
    try:
        converter(spec).parse(value, spec)
    except (ValueError, InvalidOperation, OverflowError):
        return reason_for(spec)
    return None


def sqlite_value(spec_json: str, text: str | None) -> Any:
    """``oc_ingest_value(spec, text)``: the stored form of a valid text, else NULL."""
    spec = _spec_from_json(spec_json)
    value = present(text, spec)
    if value is None:
        return None
    try:
        return converter(spec).sqlite_store(converter(spec).parse(value, spec))
    except (ValueError, InvalidOperation, OverflowError):
        return None


def register_sqlite_functions(raw_connection) -> None:
    raw_connection.create_function("oc_ingest_check", 2, sqlite_check, deterministic=True)
    raw_connection.create_function("oc_ingest_value", 2, sqlite_value, deterministic=True)


# --- The two SQL expressions the loader uses, per dialect ------------------------------------------------
def sql_present(column: sa.ColumnElement, spec: FieldSpec) -> sa.ColumnElement:
    """NULL for an empty text, the (trimmed) text otherwise."""
    return sa.func.nullif(sa.func.trim(column, WHITESPACE) if spec.trims else column, "")


def sql_invalid_reason(column: sa.ColumnElement, spec: FieldSpec, vendor: str) -> sa.ColumnElement:
    """The reason a present text is invalid, NULL when it is valid or empty."""
    if vendor == "sqlite":
        return sa.func.oc_ingest_check(spec.as_json(), column)
    value = sql_present(column, spec)
    return sa.case((sa.not_(converter(spec).pg_valid(value, spec)), reason_for(spec)), else_=sa.null())


def sql_typed(
    column: sa.ColumnElement, spec: FieldSpec, vendor: str, type_, *, checked: bool = False
) -> sa.ColumnElement:
    """The typed value of a text: NULL when empty or invalid (never an error).

    ``checked``: the caller only reads rows whose values passed the checks (no reject), so PostgreSQL
    casts directly, without re-testing each text. Never use it in a join condition: a join may compute
    its keys before another condition has filtered the rows.
    """
    if vendor == "sqlite":
        return sa.type_coerce(sa.func.oc_ingest_value(spec.as_json(), column), type_)
    value = sql_present(column, spec)
    cast = converter(spec).pg_cast(value, spec)
    if checked or spec.type in (FieldTypeKey.STRING, FieldTypeKey.TEXT):
        return sa.type_coerce(cast, type_)
    return sa.type_coerce(sa.case((converter(spec).pg_valid(value, spec), cast), else_=sa.null()), type_)


def sql_quick_ok(column: sa.ColumnElement, spec: FieldSpec) -> sa.ColumnElement:
    """PostgreSQL screening of one staged text (NULL counts as fine: required fields are NOT NULL)."""
    return sa.or_(column.is_(None), converter(spec).pg_quick(column, spec))
