"""Every date function on real rows, against an independent Python computation (UTC throughout)."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

import pytest

from audiences.tests.expression_fixtures import Case, create_sample_table, run_case

UTC = dt.UTC


def moment(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(), tzinfo=UTC)


def shift_months(value, months):
    total = value.year * 12 + value.month - 1 + months
    year, month = divmod(total, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def toward_zero(seconds: int, unit: int) -> int:
    return seconds // unit if seconds >= 0 else -((-seconds) // unit)


def months_between(end, start) -> int:
    end, start = moment(end), moment(start)
    months = (end.year * 12 + end.month) - (start.year * 12 + start.month)
    end_key = (end.day, end.hour, end.minute, end.second)
    start_key = (start.day, start.hour, start.minute, start.second)
    if months > 0 and end_key < start_key:
        months -= 1
    if months < 0 and end_key > start_key:
        months += 1
    return months


def col(*names):
    """Decorator for oracles over named columns: null if any is null."""

    def decorate(function):
        def oracle(row, *extra):
            values = [row[name] for name in names]
            if any(value is None for value in values):
                return None
            return function(*values, *extra)

        return oracle

    return decorate


def oracle(names, function):
    return col(*names)(function)


def local(value, zone):
    return value.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=UTC)


def floor_to(value: dt.datetime, seconds: int) -> dt.datetime:
    epoch = int(value.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def parse_text(text):
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC)


S = ("seen_at",)
B = ("born",)
SB = ("seen_at", "born")
HOUR, MINUTE, SECOND, DAY = (
    dt.timedelta(hours=1),
    dt.timedelta(minutes=1),
    dt.timedelta(seconds=1),
    dt.timedelta(1),
)

CASES = [
    Case("AddDays(@born, 10)", oracle(B, lambda b: b + 10 * DAY)),
    Case("AddDays(@seen_at, -1)", oracle(S, lambda s: s - DAY)),
    Case("AddHours(@born, 2)", oracle(B, lambda b: moment(b) + 2 * HOUR)),
    Case("AddHours(@seen_at, 5)", oracle(S, lambda s: s + 5 * HOUR)),
    Case("AddMinutes(@seen_at, 90)", oracle(S, lambda s: s + 90 * MINUTE)),
    Case("AddSeconds(@seen_at, 30)", oracle(S, lambda s: s + 30 * SECOND)),
    Case("AddMonths(@born, 1)", oracle(B, lambda b: shift_months(b, 1))),
    Case("AddMonths(@seen_at, 1)", oracle(S, lambda s: shift_months(s, 1))),
    Case("AddYears(@born, 1)", oracle(B, lambda b: shift_months(b, 12))),
    Case("SubDays(@born, 1)", oracle(B, lambda b: b - DAY)),
    Case("SubHours(@seen_at, 1)", oracle(S, lambda s: s - HOUR)),
    Case("SubMinutes(@seen_at, 20)", oracle(S, lambda s: s - 20 * MINUTE)),
    Case("SubSeconds(@seen_at, 61)", oracle(S, lambda s: s - 61 * SECOND)),
    Case("SubMonths(@born, 1)", oracle(B, lambda b: shift_months(b, -1))),
    Case("SubYears(@born, 1)", oracle(B, lambda b: shift_months(b, -12))),
    Case("Year(@born)", oracle(B, lambda b: b.year)),
    Case("Month(@seen_at)", oracle(S, lambda s: s.month)),
    Case("Day(@born)", oracle(B, lambda b: b.day)),
    Case("DayOfYear(@seen_at)", oracle(S, lambda s: s.timetuple().tm_yday)),
    Case("Hour(@seen_at)", oracle(S, lambda s: s.hour)),
    Case("Minute(@seen_at)", oracle(S, lambda s: s.minute)),
    Case("Second(@seen_at)", oracle(S, lambda s: s.second)),
    Case("WeekDay(@born)", oracle(B, lambda b: b.weekday())),
    Case("YearAndMonth(@seen_at)", oracle(S, lambda s: s.year * 100 + s.month)),
    Case(
        "GetDate()", lambda value: abs(value - dt.datetime.now(UTC)) < dt.timedelta(minutes=5), kind="check"
    ),
    Case("DaysAgo(3)", lambda row, now: now.date() - 3 * DAY, now=True),
    Case("DaysAgoInt(40)", lambda row, now: int((now.date() - 40 * DAY).strftime("%Y%m%d")), now=True),
    Case("MonthsAgo(1)", lambda row, now: shift_months(now.date(), -1), now=True),
    Case(
        "DaysDiff(@seen_at, @born)",
        oracle(SB, lambda s, b: toward_zero(int((s - moment(b)).total_seconds()), 86400)),
    ),
    Case(
        "HoursDiff(@seen_at, #2024-01-01#)",
        oracle(S, lambda s: toward_zero(int((s - moment(dt.date(2024, 1, 1))).total_seconds()), 3600)),
    ),
    Case(
        "MinutesDiff(@seen_at, #2024-01-31 10:00#)",
        oracle(
            S, lambda s: toward_zero(int((s - dt.datetime(2024, 1, 31, 10, tzinfo=UTC)).total_seconds()), 60)
        ),
    ),
    Case(
        "SecondsDiff(#2024-01-31 10:00:00#, @seen_at)",
        oracle(S, lambda s: int((dt.datetime(2024, 1, 31, 10, tzinfo=UTC) - s).total_seconds())),
    ),
    Case("MonthsDiff(@seen_at, @born)", oracle(SB, months_between)),
    Case("YearsDiff(@seen_at, @born)", oracle(SB, lambda s, b: toward_zero(months_between(s, b), 12))),
    Case(
        "DaysOld(@born)",
        oracle(B, lambda b, now: toward_zero(int((now - moment(b)).total_seconds()), 86400)),
        now=True,
    ),
    Case("MonthsOld(@seen_at)", oracle(S, lambda s, now: months_between(now, s)), now=True),
    Case("YearsOld(@born)", oracle(B, lambda b, now: toward_zero(months_between(now, b), 12)), now=True),
    Case("YearsAgo(@seen_at)", oracle(S, lambda s, now: toward_zero(months_between(now, s), 12)), now=True),
    Case(
        "DateCmp(@born, #2000-02-29#)",
        oracle(B, lambda b: (b > dt.date(2000, 2, 29)) - (b < dt.date(2000, 2, 29))),
    ),
    Case(
        "DateCmp(@seen_at, #2024-02-29#)",
        oracle(S, lambda s: (s > moment(dt.date(2024, 2, 29))) - (s < moment(dt.date(2024, 2, 29)))),
    ),
    Case("Oldest(@born, #1980-01-01#)", lambda row: min(v for v in (row["born"], dt.date(1980, 1, 1)) if v)),
    Case("Oldest(@seen_at, @born)", oracle(SB, lambda s, b: min(s, moment(b)))),
    Case("DateOnly(@seen_at)", oracle(S, lambda s: moment(s.date()))),
    Case("ToDate(@seen_at)", oracle(S, lambda s: s.date())),
    Case("ToDateTime(@code)", oracle(("code",), parse_text)),
    Case("ToTimestamp(@code)", oracle(("code",), parse_text)),
    Case("ToTimeZone(@seen_at, 'Europe/Paris')", oracle(S, lambda s: local(s, "Europe/Paris"))),
    Case("TruncDate(@seen_at, 600)", oracle(S, lambda s: floor_to(s, 600))),
    Case(
        "TruncDateTZ(@seen_at, 3600, 'America/New_York')",
        oracle(S, lambda s: floor_to(local(s, "America/New_York"), 3600)),
    ),
    Case(
        "TruncTime(@seen_at, 25200)",
        oracle(
            S,
            lambda s: (
                moment(s.date())
                + dt.timedelta(seconds=(s.hour * 3600 + s.minute * 60 + s.second) // 25200 * 25200)
            ),
        ),
    ),
    Case("TruncWeek(@born)", oracle(B, lambda b: b - b.weekday() * DAY)),
    Case("TruncQuarter(@seen_at)", oracle(S, lambda s: dt.date(s.year, (s.month - 1) // 3 * 3 + 1, 1))),
    Case("TruncYear(@born)", oracle(B, lambda b: dt.date(b.year, 1, 1))),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[case.expression for case in CASES])
def test_date_function_matches_python(case):
    # given
    create_sample_table()
    # when / then
    run_case(case)
