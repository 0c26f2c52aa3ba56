"""Rule values: JSON values checked and converted to the Python value of a field's type.

A value that does not fit its field is an error naming the node's path; a converted value only ever
reaches SQL as a bound parameter. Relative-date bounds are computed here, in the project's time zone.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from audiences.query.types import Type

_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_TEXT = 10_000
# Integer fields: "integer" columns are 32-bit, "bigint" columns (and integer expressions) 64-bit.
INTEGER_RANGES = {32: (-(2**31), 2**31 - 1), 64: (-(2**63), 2**63 - 1)}


class ValueProblem(ValueError):
    """A value that does not fit; the message is shown with the node's path."""


def convert(value, value_type: Type, *, enum_values: list[str] | None = None, integer_bits: int = 64):
    """``value`` (from JSON) as the Python value of ``value_type``; None stays None.

    A whole number outside the column's range (``integer_bits``), an impossible date (2026-02-30) or
    text holding a NUL character or a lone surrogate is a ``ValueProblem``, never a database error."""
    if value is None:
        return None
    if value_type == Type.STRING:
        if not isinstance(value, str):
            raise ValueProblem(_("Expected a text value."))
        if len(value) > MAX_TEXT:
            raise ValueProblem(_("At most %(max)s characters.") % {"max": MAX_TEXT})
        if "\x00" in value:
            raise ValueProblem(_("Text may not contain a NUL character (\\u0000)."))
        if _SURROGATE.search(value):
            raise ValueProblem(_("Text may not contain a lone surrogate."))
        if enum_values and value not in enum_values:
            raise ValueProblem(
                _("Expected one of the values %(values)s.") % {"values": ", ".join(enum_values)}
            )
        return value
    if value_type == Type.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueProblem(_("Expected true or false."))
        return value
    if value_type in (Type.INTEGER, Type.DECIMAL, Type.FLOAT):
        return _number(value, value_type, integer_bits)
    if value_type == Type.DATE:
        try:
            parsed = parse_date(value) if isinstance(value, str) else None
        except ValueError:  # well formed but impossible: 2026-02-30
            raise ValueProblem(_("This date does not exist.")) from None
        if parsed is None:
            raise ValueProblem(_("Expected a date like 2024-01-31."))
        return parsed
    if value_type == Type.DATETIME:
        parsed = None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value) or (
                    dt.datetime.combine(parse_date(value), dt.time()) if parse_date(value) else None
                )
            except ValueError:
                parsed = None
        if parsed is None:
            raise ValueProblem(_("Expected a date and time like 2024-01-31T10:00:00Z."))
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
        return parsed.astimezone(dt.UTC)
    raise ValueProblem(_("Values of this type cannot be compared."))


def _number(value, value_type: Type, integer_bits: int = 64):
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueProblem(_("Expected a number."))
    try:
        number = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise ValueProblem(_("Expected a number.")) from None
    if not number.is_finite() or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueProblem(_("Expected a finite number."))
    if abs(number) >= decimal.Decimal(10) ** 30:
        raise ValueProblem(_("This number is too large."))
    if value_type == Type.INTEGER:
        if number != number.to_integral_value():
            raise ValueProblem(_("Expected a whole number."))
        low, high = INTEGER_RANGES[integer_bits]
        if not low <= number <= high:
            raise ValueProblem(
                _("Expected a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
        return int(number)
    if value_type == Type.FLOAT:
        return float(number)
    return number


def type_of_value(value) -> Type:
    """The value type of a campaign variable or parameter value given as plain Python."""
    if isinstance(value, bool):
        return Type.BOOLEAN
    if isinstance(value, int):
        return Type.INTEGER
    if isinstance(value, decimal.Decimal):
        return Type.DECIMAL
    if isinstance(value, float):
        return Type.FLOAT
    if isinstance(value, dt.datetime):
        return Type.DATETIME
    if isinstance(value, dt.date):
        return Type.DATE
    if value is None:
        return Type.NULL
    return Type.STRING


# --- Relative dates ---------------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return dt.date(year, month + 1, 1)


def relative_bounds(operator: str, amount: int | None) -> tuple[dt.date, dt.date]:
    """[start, end) local dates of a relative-date operator (end exclusive), today included.

    ``last_n_days`` N: from N days ago to today, both included; ``next_n_days`` N: today to N days
    ahead, both included; weeks are 7 days; ``last_n_months`` N: from the 1st of the month N months ago
    to the end of this month; ``next_n_months``: this month and the N next ones. ``this_week`` starts on
    Monday.
    """
    today = _today()
    tomorrow = today + dt.timedelta(days=1)
    n = amount or 0
    if operator == "today":
        return today, tomorrow
    if operator == "yesterday":
        return today - dt.timedelta(days=1), today
    if operator == "last_n_days":
        return today - dt.timedelta(days=n), tomorrow
    if operator == "next_n_days":
        return today, tomorrow + dt.timedelta(days=n)
    if operator == "last_n_weeks":
        return today - dt.timedelta(days=7 * n), tomorrow
    if operator == "next_n_weeks":
        return today, tomorrow + dt.timedelta(days=7 * n)
    if operator == "last_n_months":
        first = today.replace(day=1)
        return _add_months(first, -n), _add_months(first, 1)
    if operator == "next_n_months":
        first = today.replace(day=1)
        return first, _add_months(first, n + 1)
    if operator == "this_week":
        start = today - dt.timedelta(days=today.weekday())
        return start, start + dt.timedelta(days=7)
    if operator == "this_month":
        first = today.replace(day=1)
        return first, _add_months(first, 1)
    if operator == "this_year":
        return dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)
    raise ValueError(operator)


def bound_for(day: dt.date, value_type: Type):
    """A local date as the bound of a date field (the date) or a date+time field (local midnight, UTC)."""
    if value_type == Type.DATE:
        return day
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_default_timezone())
    return moment.astimezone(dt.UTC)
