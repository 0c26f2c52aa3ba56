"""Age conditions as date ranges: ``YearsOld(@birth_date) > 40`` becomes ``birth_date < <bound>``.

Why: the function library computes ``YearsOld`` / ``MonthsOld`` / ``DaysOld`` per row (month arithmetic
and text keys, see ``audiences.query.functions.date``), so PostgreSQL evaluates a long CASE for each of
a million rows and no index on the date can help. Each of these functions only decreases as the date
gets later, so ``f(d) >= v`` holds exactly for the dates before one instant ``B(v)``: the comparison is a
range on the column, with bounds computed once, when the rule is compiled, as bound parameters (like
the relative-date operators). The planner (``Planner.sargable``) records the decision.

Exactness. ``B(v)`` reproduces the library's definitions, in UTC, to the second:
- ``MonthsOld(d)`` counts whole months like a birthday: the month difference, less one when the day
  and time of ``d`` (``DD HH:MM:SS``, seconds truncated) come after now's; ``YearsOld`` truncates it
  by 12 toward zero; ``DaysOld`` truncates whole-second epochs by 86400 toward zero.
- "now" is the compile moment (``django.utils.timezone.now()``), where the per-row SQL reads the
  statement's ``now()``: a rule run right after compiling (counts, previews, a campaign step) sees the
  same day; a bound can only differ for a date within the few milliseconds between the two moments.
- A null date stays null (unknown) on both sides; a bound out of the calendar (year < 1 or > 9999)
  keeps the per-row SQL.
Conditions the rewrite does not cover (not_equal, in, an expression on the right, a date reached
through a link) keep the per-row SQL.
"""

from __future__ import annotations

import calendar
import datetime as dt

import sqlalchemy as sa
from django.utils import timezone

from audiences.query.expressions import ast
from audiences.query.expressions.errors import ExpressionError
from audiences.query.expressions.parser import parse
from audiences.query.functions import date as date_functions
from audiences.query.functions.registry import lookup
from audiences.query.rules.values import ValueProblem, convert
from audiences.query.types import Type

# function key -> how its value is computed (checked against the registry's builder, see ``_kind``)
KINDS = {"yearsold": "years", "yearsago": "years", "monthsold": "months", "daysold": "days"}
BUILDERS = {
    "years": date_functions._years_old,
    "months": date_functions.months_old,
    "days": date_functions.days_old,
}
OPERATORS = ("equal", "less", "less_or_equal", "greater", "greater_or_equal", "between")
SECOND = dt.timedelta(seconds=1)


def _kind(name: str) -> str | None:
    kind = KINDS.get(name.lower())
    spec = lookup(name)
    # Only while the library still computes the function the way this module reproduces it.
    return kind if kind and spec is not None and spec.build is BUILDERS[kind] else None


def _month_start(index: int) -> dt.datetime:
    """The first instant of month ``index`` (year * 12 + month - 1), UTC; ValueError off the calendar."""
    year, month = divmod(index, 12)
    return dt.datetime(year, month + 1, 1, tzinfo=dt.UTC)


def _at_day(index: int, now: dt.datetime) -> dt.datetime:
    """Now's day and time of day in month ``index``; the next month's start when that day is missing."""
    year, month = divmod(index, 12)
    if now.day > calendar.monthrange(year, month + 1)[1]:
        return _month_start(index + 1)
    return dt.datetime(year, month + 1, now.day, now.hour, now.minute, now.second, tzinfo=dt.UTC)


def months_bound(k: int, now: dt.datetime) -> dt.datetime:
    """``B`` such that ``MonthsOld(d) >= k`` exactly when ``d < B`` (``now`` in whole seconds, UTC).

    k >= 1: a month before the k-th month back, or that month with a day and time not after now's.
    k <= 0: up to the month k months ahead, or the month after it with a day and time before now's.
    """
    current = now.year * 12 + now.month - 1
    if k >= 1:
        target = current - k
        moment = _at_day(target, now)
        return moment + SECOND if moment.month == target % 12 + 1 else moment
    return _at_day(current - k + 1, now)


def bound(kind: str, v: int, now: dt.datetime) -> dt.datetime:
    """``B(v)``: ``f(d) >= v`` exactly when ``d < B(v)``, for the function kind ``kind``."""
    now = now.astimezone(dt.UTC).replace(microsecond=0)
    if kind == "days":
        seconds = 86400 * v - 1 if v >= 1 else 86400 * (v - 1)
        return now - dt.timedelta(seconds=seconds)
    if kind == "years":  # trunc(months / 12) >= v
        return months_bound(12 * v if v >= 1 else 12 * v - 11, now)
    return months_bound(v, now)


def _interval(operator: str, values: list[int]) -> tuple[int | None, int | None]:
    """The whole values [low, high] (None: unbounded) a comparison accepts."""
    first = values[0]
    return {
        "equal": (first, first),
        "less": (None, first - 1),
        "less_or_equal": (None, first),
        "greater": (first + 1, None),
        "greater_or_equal": (first, None),
        "between": (values[0], values[-1]),
    }[operator]


def age_condition(compiler, node, scope):
    """The range predicate for an age condition, or None to keep the per-row SQL."""
    if node.left is None or node.case_insensitive or node.expression is not None:
        return None
    if node.operator not in OPERATORS:
        return None
    try:
        tree = parse(node.left)
    except ExpressionError:
        return None
    if not (isinstance(tree, ast.Call) and len(tree.args) == 1 and isinstance(tree.args[0], ast.FieldRef)):
        return None
    kind, argument = _kind(tree.name), tree.args[0]
    found = scope.info.fields.get(argument.name)
    if kind is None or argument.path or found is None or found.type not in ("date", "datetime"):
        return None
    if compiler.guard_personal and found.is_personal:
        return None  # the expression path refuses a personal field (personal.py)
    if node.parameter is not None and node.parameter not in compiler.variables:
        return None  # the per-row path reports the unknown parameter
    _key, raw = compiler.raw_value(node, node.path)
    items = raw if node.operator == "between" else [raw]
    if not isinstance(items, list | tuple) or len(items) != (2 if node.operator == "between" else 1):
        return None
    try:
        values = [convert(item, Type.INTEGER) for item in items]
    except ValueProblem:
        return None
    if any(v is None for v in values):
        return None
    low, high = _interval(node.operator, values)
    now = timezone.now()
    try:
        upper = bound(kind, low, now) if low is not None else None  # f >= low  <=>  d < B(low)
        lower = bound(kind, high + 1, now) if high is not None else None  # f <= high <=> d >= B(high+1)
    except (ValueError, OverflowError):
        return None
    compiler.planner.sargable(node.path, tree.name)
    return _range(compiler, scope.alias.c[argument.name], found.type, lower, upper)


def _range(compiler, column, field_type: str, lower, upper):
    from audiences.query.compiler.build import bound as bound_parameter

    value_type = Type.DATE if field_type == "date" else Type.DATETIME
    if value_type == Type.DATE:  # dates are midnights: d < B  <=>  d < the first midnight at or after B
        lower, upper = _ceil_day(lower), _ceil_day(upper)
    if compiler.dialect == "sqlite":  # compare in the shape the library's SQLite functions read
        column = sa.func.date(column) if value_type == Type.DATE else sa.func.datetime(column)
        lower, upper = _sqlite_text(lower), _sqlite_text(upper)
        value_type = Type.STRING
    parts = []
    if lower is not None:
        parts.append(column >= bound_parameter(lower, value_type, compiler.dialect))
    if upper is not None:
        parts.append(column < bound_parameter(upper, value_type, compiler.dialect))
    return sa.and_(*parts)


def _ceil_day(moment: dt.datetime | None) -> dt.date | None:
    if moment is None:
        return None
    day = moment.date()
    return day if moment.time() == dt.time() else day + dt.timedelta(days=1)


def _sqlite_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat()
