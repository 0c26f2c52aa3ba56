"""Date and time functions. Dates and date+times are read and computed in UTC on both databases.

SQLite keeps dates as text; its results are normalised to 'YYYY-MM-DD' / 'YYYY-MM-DD HH:MM:SS' with
date() / datetime() / strftime(), and month arithmetic goes through ``oc_add_months`` so that
Jan 31 + 1 month is Feb 29 on both databases (PostgreSQL's rule).
"""

from __future__ import annotations

import functools
import zoneinfo

import sqlalchemy as sa
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audiences.query.expressions import ast
from audiences.query.functions import sqlparts as sql
from audiences.query.functions.registry import Arg, ArgumentMismatch, Family, function, leave_out
from audiences.query.types import DATETIME, INTEGER, STRING, TEMPORAL, Type, common_type

DATE = {"family": Family.DATE}
UNITS = {
    "Days": "days",
    "Hours": "hours",
    "Minutes": "minutes",
    "Months": "months",
    "Seconds": "seconds",
    "Years": "years",
}
DATE_UNITS = ("days", "months", "years")


def _moved_type(unit):
    def returns(typing):
        given = typing.arg_types[0]
        return Type.DATE if given == Type.DATE and unit in DATE_UNITS else Type.DATETIME

    return returns


def _register_shift(prefix: str, label: str, unit: str, sign: int, description) -> None:
    example = f"{prefix}{label}(@purchaseDate, 3)"

    def build(ctx, value, amount):
        return sql.add_interval(ctx, value, ctx.arg_types[0], amount if sign > 0 else -amount, unit)

    function(
        f"{prefix}{label}",
        args=[Arg("date", TEMPORAL), Arg(unit, INTEGER)],
        returns=_moved_type(unit),
        returns_doc="date for a date moved by days, months or years, else date+time",
        description=description,
        example=example,
        **DATE,
    )(build)


for _label, _unit in UNITS.items():
    _register_shift(
        "Add", _label, _unit, 1, format_lazy(_("The date moved forward by a number of {}."), _unit)
    )
    _register_shift("Sub", _label, _unit, -1, format_lazy(_("The date moved back by a number of {}."), _unit))


def _part(name, part, description, example):
    function(
        name,
        args=[Arg("date", TEMPORAL)],
        returns=Type.INTEGER,
        description=description,
        example=example,
        **DATE,
    )(lambda ctx, value: sql.date_part(ctx, value, part))


_part("Year", "year", _("Year number."), "Year(@birthDate)")
_part("Month", "month", _("Month number, 1 to 12."), "Month(@birthDate)")
_part("Day", "day", _("Day of the month, 1 to 31."), "Day(@birthDate)")
_part("DayOfYear", "doy", _("Day of the year, 1 to 366."), "DayOfYear(@purchaseDate)")
_part("Hour", "hour", _("Hour, 0 to 23."), "Hour(@lastModified)")
_part("Minute", "minute", _("Minute, 0 to 59."), "Minute(@lastModified)")
_part("Second", "second", _("Second, 0 to 59 (fractions dropped)."), "Second(@lastModified)")


@function(
    "WeekDay",
    args=[Arg("date", TEMPORAL)],
    returns=Type.INTEGER,
    description=_("Day of the week: 0 is Monday, 6 is Sunday."),
    example="WeekDay(@purchaseDate)",
    **DATE,
)
def week_day(ctx, value):
    return sql.weekday(ctx, value)


@function(
    "YearAndMonth",
    args=[Arg("date", TEMPORAL)],
    returns=Type.INTEGER,
    description=_("Year and month as one number, yyyymm."),
    example="YearAndMonth(@purchaseDate)",
    **DATE,
)
def year_and_month(ctx, value):
    return sql.date_part(ctx, value, "year") * 100 + sql.date_part(ctx, value, "month")


@function(
    "GetDate",
    args=[],
    returns=Type.DATETIME,
    description=_("The current date and time (UTC)."),
    example="GetDate()",
    **DATE,
)
def get_date(ctx):
    return sql.now(ctx)


@function(
    "DaysAgo",
    args=[Arg("days", INTEGER)],
    returns=Type.DATE,
    description=_("Today's date minus a number of days."),
    example="@purchaseDate >= DaysAgo(30)",
    **DATE,
)
def days_ago(ctx, days):
    return sql.add_interval(ctx, sql.today(ctx), Type.DATE, -days, "days")


@function(
    "DaysAgoInt",
    args=[Arg("days", INTEGER)],
    returns=Type.INTEGER,
    description=_("Today's date minus a number of days, as the number yyyymmdd."),
    example="DaysAgoInt(7)",
    **DATE,
)
def days_ago_int(ctx, days):
    moved = sql.add_interval(ctx, sql.today(ctx), Type.DATE, -days, "days")
    return (
        sql.date_part(ctx, moved, "year") * 10000
        + sql.date_part(ctx, moved, "month") * 100
        + sql.date_part(ctx, moved, "day")
    )


@function(
    "MonthsAgo",
    args=[Arg("months", INTEGER)],
    returns=Type.DATE,
    description=_("Today's date minus a number of months."),
    example="@signupDate < MonthsAgo(6)",
    **DATE,
)
def months_ago(ctx, months):
    return sql.add_interval(ctx, sql.today(ctx), Type.DATE, -months, "months")


def _register_diff(name, seconds, description):
    def build(ctx, end, start):
        return sql.truncate_toward_zero(ctx, sql.epoch(ctx, end) - sql.epoch(ctx, start), seconds)

    function(
        name,
        args=[Arg("end", TEMPORAL), Arg("start", TEMPORAL)],
        returns=Type.INTEGER,
        description=description,
        example=f"{name}(GetDate(), @lastModified)",
        **DATE,
    )(build)


_register_diff("DaysDiff", 86400, _("Whole days from the start to the end (negative if the end is earlier)."))
_register_diff("HoursDiff", 3600, _("Whole hours from the start to the end."))
_register_diff("MinutesDiff", 60, _("Whole minutes from the start to the end."))
_register_diff("SecondsDiff", 1, _("Whole seconds from the start to the end."))


@function(
    "MonthsDiff",
    args=[Arg("end", TEMPORAL), Arg("start", TEMPORAL)],
    returns=Type.INTEGER,
    description=_("Whole months from the start to the end, counted like birthdays."),
    example="MonthsDiff(GetDate(), @signupDate)",
    **DATE,
)
def months_diff(ctx, end, start):
    return sql.months_between(ctx, end, start)


@function(
    "YearsDiff",
    args=[Arg("end", TEMPORAL), Arg("start", TEMPORAL)],
    returns=Type.INTEGER,
    description=_("Whole years from the start to the end, counted like birthdays."),
    example="YearsDiff(GetDate(), @birthDate)",
    **DATE,
)
def years_diff(ctx, end, start):
    return sql.truncate_toward_zero(ctx, sql.months_between(ctx, end, start), 12)


@function(
    "DaysOld",
    args=[Arg("date", TEMPORAL)],
    returns=Type.INTEGER,
    description=_("Age of a date in whole days."),
    example="DaysOld(@lastPurchase) > 90",
    **DATE,
)
def days_old(ctx, value):
    return sql.truncate_toward_zero(ctx, sql.epoch(ctx, sql.now(ctx)) - sql.epoch(ctx, value), 86400)


@function(
    "MonthsOld",
    args=[Arg("date", TEMPORAL)],
    returns=Type.INTEGER,
    description=_("Age of a date in whole months."),
    example="MonthsOld(@signupDate)",
    **DATE,
)
def months_old(ctx, value):
    return sql.months_between(ctx, sql.now(ctx), value)


def _years_old(ctx, value):
    return sql.truncate_toward_zero(ctx, sql.months_between(ctx, sql.now(ctx), value), 12)


function(
    "YearsOld",
    args=[Arg("date", TEMPORAL)],
    returns=Type.INTEGER,
    description=_("Age of a date in whole years."),
    example="YearsOld(@birthDate) >= 18",
    **DATE,
)(_years_old)
function(
    "YearsAgo",
    args=[Arg("date", TEMPORAL)],
    returns=Type.INTEGER,
    description=_("Whole years between a date and now (same as YearsOld)."),
    example="YearsAgo(@signupDate)",
    **DATE,
)(_years_old)


@function(
    "DateCmp",
    args=[Arg("first", TEMPORAL), Arg("second", TEMPORAL)],
    returns=Type.INTEGER,
    description=_("-1, 0 or 1 as the first date is before, equal to or after the second."),
    example="DateCmp(@lastPurchase, #2024-01-01#)",
    **DATE,
)
def date_cmp(ctx, first, second):
    first = sql.as_datetime(ctx, first, ctx.arg_types[0])
    second = sql.as_datetime(ctx, second, ctx.arg_types[1])
    return sa.case((first < second, -1), (first > second, 1), (first == second, 0))


def _oldest_type(typing):
    return common_type(*typing.arg_types) or Type.DATETIME


@function(
    "Oldest",
    args=[Arg("first", TEMPORAL), Arg("second", TEMPORAL)],
    returns=_oldest_type,
    returns_doc="date for two dates, else date+time",
    description=_("The earlier of two dates, ignoring a null one."),
    example="Oldest(@firstPurchase, @signupDate)",
    **DATE,
)
def oldest(ctx, first, second):
    if ctx.result_type == Type.DATETIME:
        first = sql.as_datetime(ctx, first, ctx.arg_types[0])
        second = sql.as_datetime(ctx, second, ctx.arg_types[1])
    return sql.least(ctx, first, second)


@function(
    "DateOnly",
    args=[Arg("date", TEMPORAL)],
    returns=Type.DATETIME,
    description=_("The date+time at midnight of the same day (UTC)."),
    example="DateOnly(@lastModified)",
    **DATE,
)
def date_only(ctx, value):
    if ctx.postgresql:
        return sa.func.date_trunc("day", sql.as_datetime(ctx, value, ctx.arg_types[0]))
    return sa.func.datetime(value, "start of day")


@function(
    "ToDate",
    args=[Arg("date", TEMPORAL)],
    returns=Type.DATE,
    description=_("The date part of a date+time."),
    example="ToDate(@lastModified)",
    **DATE,
)
def to_date(ctx, value):
    return sql.as_date(ctx, value)


# Only text naming a real moment: months 01-12, the days each month has (29 February in leap
# years), hours 00-23, minutes and seconds 00-59, years 0001-9999. PostgreSQL casts only what matches,
# so a malformed or impossible value (2026-02-30, 2026-13-45 99:99) gives null instead of an error;
# SQLite's oc_to_datetime applies the same rule (its own datetime() would roll 02-30 over to March).
_YEAR = r"(?!0000)\d{4}"
_MONTH_DAY = r"((0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
_LEAP_DAY = r"(\d\d(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29"
_TIME = r"([ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?)?"
DATETIME_TEXT = rf"^({_YEAR}-{_MONTH_DAY}|{_LEAP_DAY}){_TIME}$"


def _parse_datetime(ctx, text):
    if ctx.postgresql:
        return sa.case((text.regexp_match(DATETIME_TEXT), sa.cast(text, sa.DateTime(timezone=True))))
    return sa.func.oc_to_datetime(text)


function(
    "ToDateTime",
    args=[Arg("text", STRING)],
    returns=Type.DATETIME,
    description=_("Text 'YYYY-MM-DD[ HH:MM[:SS]]' as a date+time (null if malformed)."),
    example="ToDateTime(@importedAt)",
    **DATE,
)(_parse_datetime)
function(
    "ToTimestamp",
    args=[Arg("text", STRING)],
    returns=Type.DATETIME,
    description=_("Text 'YYYY-MM-DD[ HH:MM[:SS]]' as a date+time (same as ToDateTime)."),
    example="ToTimestamp('2024-01-31 10:00:00')",
    **DATE,
)(_parse_datetime)


def _local(ctx, value, value_type, zone):
    if ctx.postgresql:
        return sa.func.timezone(zone, sql.as_datetime(ctx, value, value_type))
    return sa.func.oc_to_timezone(sa.func.datetime(value), zone)


def _known_zone(index: int):
    """The result type of a function whose argument ``index`` is a time zone: a literal zone must be
    one the databases know (IANA names), so ``'Mars/Olympus'`` is refused when the rule is checked."""

    def returns(typing):
        node = typing.arg_nodes[index] if index < len(typing.arg_nodes) else None
        if isinstance(node, ast.Literal) and isinstance(node.value, str) and node.value not in _zones():
            raise ArgumentMismatch(
                _("unknown time zone “%(zone)s”; use a name such as Europe/Paris") % {"zone": node.value},
                index,
            )
        return Type.DATETIME

    return returns


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@function(
    "ToTimeZone",
    args=[Arg("date", DATETIME), Arg("time zone", STRING)],
    returns=_known_zone(1),
    returns_doc="date+time",
    description=_("The wall-clock date+time in a time zone such as 'Europe/Paris'."),
    example="Hour(ToTimeZone(@lastModified, 'Europe/Paris'))",
    **DATE,
)
def to_time_zone(ctx, value, zone):
    return _local(ctx, value, ctx.arg_types[0], zone)


def _truncate_seconds(ctx, value, seconds):
    moment = sql.epoch(ctx, value)
    step = sa.case((seconds > 0, seconds))
    return sql.from_epoch(ctx, moment - ((moment % step) + step) % step)


@function(
    "TruncDate",
    args=[Arg("date", DATETIME), Arg("seconds", INTEGER)],
    returns=Type.DATETIME,
    description=_("The date+time rounded down to a multiple of a number of seconds."),
    example="TruncDate(@lastModified, 600)",
    **DATE,
)
def trunc_date(ctx, value, seconds):
    return _truncate_seconds(ctx, value, seconds)


@function(
    "TruncDateTZ",
    args=[Arg("date", DATETIME), Arg("seconds", INTEGER), Arg("time zone", STRING)],
    returns=_known_zone(2),
    returns_doc="date+time",
    description=_("The wall-clock date+time in a time zone, rounded down to a number of seconds."),
    example="TruncDateTZ(@lastModified, 3600, 'America/New_York')",
    **DATE,
)
def trunc_date_tz(ctx, value, seconds, zone):
    return _truncate_seconds(ctx, _local(ctx, value, ctx.arg_types[0], zone), seconds)


@function(
    "TruncTime",
    args=[Arg("date", DATETIME), Arg("seconds", INTEGER)],
    returns=Type.DATETIME,
    description=_("The time of day rounded down to a multiple of a number of seconds since midnight."),
    example="TruncTime(@lastModified, 3600)",
    **DATE,
)
def trunc_time(ctx, value, seconds):
    midnight = sql.as_datetime(ctx, sql.as_date(ctx, value), Type.DATE)
    since = sql.epoch(ctx, value) - sql.epoch(ctx, midnight)
    step = sa.case((seconds > 0, seconds))
    kept = since - since % step
    if ctx.postgresql:
        return midnight + sa.func.make_interval(0, 0, 0, 0, 0, 0, sa.cast(kept, sa.Float()))
    return sa.func.datetime(midnight, sa.func.printf("+%d seconds", kept))


def _truncate_to(unit):
    def build(ctx, value):
        if ctx.postgresql:
            return sa.cast(sa.func.date_trunc(unit, sql.as_datetime(ctx, value, ctx.arg_types[0])), sa.Date())
        if unit == "year":
            return sa.func.date(value, "start of year")
        if unit == "quarter":
            back = (sql.date_part(ctx, value, "month") - 1) % 3
            return sa.func.date(value, "start of month", sa.func.printf("-%d months", back))
        return sa.func.date(value, sa.func.printf("-%d days", sql.weekday(ctx, value)))

    return build


for _name, _unit, _text in (
    ("TruncWeek", "week", _("The Monday of the date's week.")),
    ("TruncQuarter", "quarter", _("The first day of the date's quarter.")),
    ("TruncYear", "year", _("January 1st of the date's year.")),
):
    function(
        _name,
        args=[Arg("date", TEMPORAL)],
        returns=Type.DATE,
        description=_text,
        example=f"{_name}(@purchaseDate)",
        **DATE,
    )(_truncate_to(_unit))

leave_out(
    "ConvertNTZ",
    Family.DATE,
    _(
        "date+times are stored and compared in UTC, so there is no time-zone-less value to convert; "
        "use ToTimeZone for local time"
    ),
)
