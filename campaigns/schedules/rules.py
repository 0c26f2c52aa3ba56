"""Schedule rules, one typed dataclass per kind, and their occurrences.

Occurrences are computed on local wall-clock times in the campaign's time zone (``zoneinfo``) and
converted to UTC, so "09:00 Europe/Paris" stays 09:00 across daylight-saving changes. A local time
that does not exist (the spring-forward gap) is moved forward by the gap; an ambiguous one (the
autumn fold) fires once, at its first occurrence.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from campaigns.activities.config import ConfigError, parse_config

UTC = dt.UTC
MIN_INTERVAL = dt.timedelta(minutes=15)
HORIZON_DAYS = 366 * 5  # how far ahead occurrences are searched


def _time(value: str, path: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ConfigError(path, _("Expected a time as HH:MM.")) from None


def _weekdays(values: list[int], path: str) -> set[int]:
    if not values or any(v not in range(7) for v in values):
        raise ConfigError(path, _("Choose weekdays between 0 (Monday) and 6 (Sunday)."))
    return set(values)


@dataclass
class AsapRule:
    pass


@dataclass
class SignalRule:
    pass


@dataclass
class OnceRule:
    at: str  # local date and time, "YYYY-MM-DDTHH:MM"

    def local_times(self, start: dt.date) -> Iterator[dt.datetime]:
        try:
            at = dt.datetime.fromisoformat(self.at).replace(tzinfo=None)
        except ValueError:
            raise ConfigError("at", _("Expected a date and time as YYYY-MM-DDTHH:MM.")) from None
        if at.date() >= start:
            yield at


@dataclass
class DailyRule:
    time: str
    days: Literal["every_day", "weekdays", "chosen"] = "every_day"
    weekdays: list[int] = field(default_factory=list)

    def local_times(self, start: dt.date) -> Iterator[dt.datetime]:
        at = _time(self.time, "time")
        chosen = {
            "every_day": set(range(7)),
            "weekdays": set(range(5)),
            "chosen": _weekdays(self.weekdays, "weekdays") if self.days == "chosen" else set(),
        }[self.days]
        for n in range(HORIZON_DAYS):
            day = start + dt.timedelta(days=n)
            if day.weekday() in chosen:
                yield dt.datetime.combine(day, at)


@dataclass
class IntradayRule:
    """Listed hours, or every N minutes between ``window_start`` and ``window_end``; optional weekdays."""

    hours: list[str] = field(default_factory=list)
    every_minutes: int | None = None
    window_start: str = "00:00"
    window_end: str = "23:59"
    weekdays: list[int] = field(default_factory=list)

    def local_times(self, start: dt.date) -> Iterator[dt.datetime]:
        if bool(self.hours) == bool(self.every_minutes):
            raise ConfigError("hours", _("Give either listed hours or an interval in minutes."))
        days = _weekdays(self.weekdays, "weekdays") if self.weekdays else set(range(7))
        if self.hours:
            times = sorted(_time(h, f"hours.{i}") for i, h in enumerate(self.hours))
        else:
            if self.every_minutes < 1:
                raise ConfigError("every_minutes", _("Expected a positive number of minutes."))
            first, last = _time(self.window_start, "window_start"), _time(self.window_end, "window_end")
            times, minute = [], first.hour * 60 + first.minute
            while minute <= last.hour * 60 + last.minute:
                times.append(dt.time(minute // 60, minute % 60))
                minute += self.every_minutes
        for n in range(HORIZON_DAYS):
            day = start + dt.timedelta(days=n)
            if day.weekday() in days:
                for t in times:
                    yield dt.datetime.combine(day, t)


@dataclass
class WeeklyRule:
    """Every ``every_weeks`` weeks (counted from the week of ``anchor``) on the chosen weekdays."""

    time: str
    weekdays: list[int]
    every_weeks: int = 1
    anchor: str = ""  # a date in the first week; default: the week the search starts

    def local_times(self, start: dt.date) -> Iterator[dt.datetime]:
        at, days = _time(self.time, "time"), _weekdays(self.weekdays, "weekdays")
        if self.every_weeks < 1:
            raise ConfigError("every_weeks", _("Expected a positive number of weeks."))
        try:
            anchor = dt.date.fromisoformat(self.anchor) if self.anchor else start
        except ValueError:
            raise ConfigError("anchor", _("Expected a date as YYYY-MM-DD.")) from None
        anchor_monday = anchor - dt.timedelta(days=anchor.weekday())
        for n in range(HORIZON_DAYS):
            day = start + dt.timedelta(days=n)
            weeks = (day - anchor_monday).days // 7
            if weeks >= 0 and weeks % self.every_weeks == 0 and day.weekday() in days:
                yield dt.datetime.combine(day, at)


@dataclass
class MonthlyRule:
    """In the chosen months: a day of the month, the last day, or the Nth (or last, -1) weekday."""

    time: str
    months: list[int] = field(default_factory=lambda: list(range(1, 13)))
    day: int | None = None
    last_day: bool = False
    nth: int | None = None
    weekday: int | None = None

    def _day_in(self, year: int, month: int) -> int | None:
        length = calendar.monthrange(year, month)[1]
        if self.last_day:
            return length
        if self.day is not None:
            return self.day if self.day <= length else None  # no 31st in April: skipped
        days = [d for d in range(1, length + 1) if dt.date(year, month, d).weekday() == self.weekday]
        index = self.nth - 1 if self.nth > 0 else self.nth
        return days[index] if -len(days) <= index < len(days) else None

    def local_times(self, start: dt.date) -> Iterator[dt.datetime]:
        at = _time(self.time, "time")
        if not self.months or any(m not in range(1, 13) for m in self.months):
            raise ConfigError("months", _("Choose months between 1 and 12."))
        choices = sum([self.day is not None, self.last_day, self.nth is not None])
        if choices != 1:
            raise ConfigError(
                "day", _("Choose one of: a day of the month, the last day, or the Nth weekday.")
            )
        if self.day is not None and not 1 <= self.day <= 31:
            raise ConfigError("day", _("Expected a day between 1 and 31."))
        if self.nth is not None and (self.nth not in (1, 2, 3, 4, 5, -1) or self.weekday not in range(7)):
            raise ConfigError("nth", _("Expected 1 to 5 or -1 (last) and a weekday between 0 and 6."))
        year, month = start.year, start.month
        for _n in range(HORIZON_DAYS // 28):
            if month in self.months:
                day = self._day_in(year, month)
                if day is not None and dt.date(year, month, day) >= start:
                    yield dt.datetime.combine(dt.date(year, month, day), at)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


RULES = {
    "asap": AsapRule,
    "signal": SignalRule,
    "once": OnceRule,
    "daily": DailyRule,
    "intraday": IntradayRule,
    "weekly": WeeklyRule,
    "monthly": MonthlyRule,
}


def parse_rule(kind: str, raw):
    if kind not in RULES:
        raise ConfigError("kind", _("Unknown schedule kind."))
    return parse_config(RULES[kind], raw)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", _("Unknown time zone %(name)s.") % {"name": name}) from None


def to_utc(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A wall-clock time in ``tz`` as UTC (gap: moved forward; fold: first occurrence)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def occurrences(
    *,
    kind: str,
    rule,
    timezone: str,
    after: dt.datetime,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
) -> Iterator[dt.datetime]:
    """Launch times (UTC, increasing) strictly after ``after`` within the validity period."""
    if not hasattr(rule, "local_times"):
        return
    tz = zone(timezone)
    floor = max(after, valid_from - dt.timedelta(microseconds=1)) if valid_from else after
    start = floor.astimezone(tz).date()
    previous = None
    for local in rule.local_times(start):
        when = to_utc(local, tz)
        if when <= floor or when == previous:
            continue
        if valid_until is not None and when > valid_until:
            return
        previous = when
        yield when


def next_times(count: int = 10, **kwargs) -> list[dt.datetime]:
    found = []
    for when in occurrences(**kwargs):
        found.append(when)
        if len(found) >= count:
            break
    return found


def check_interval(times: list[dt.datetime]) -> None:
    """Two launches closer than 15 minutes are refused (the runs would pile up)."""
    for earlier, later in itertools.pairwise(times):
        if later - earlier < MIN_INTERVAL:
            raise ConfigError(
                "rule",
                _("Launches must be at least %(minutes)s minutes apart.")
                % {"minutes": int(MIN_INTERVAL.total_seconds() // 60)},
            )
