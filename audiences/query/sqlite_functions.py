"""Python functions registered on every SQLite connection, for what SQLite cannot do in SQL.

SQLite is the convenience database (PostgreSQL is the reference). It lacks hashing, padding, time zones,
month arithmetic that clamps to the month's end, and a standard deviation aggregate, and some builds lack
the math functions. Rather than letting expressions mean different things on the two databases, the
missing pieces are registered here as ``oc_*`` functions through Django's ``connection_created``
signal (connected in ``audiences.apps``). The math functions are only registered when a probe shows the
SQLite build does not have them (the venv's SQLite 3.40 has them).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import math
import re
import sqlite3
import uuid
import zoneinfo

MATH_FALLBACKS = {
    "ceil": (1, math.ceil),
    "floor": (1, math.floor),
    "trunc": (1, math.trunc),
    "sqrt": (1, lambda x: math.sqrt(x) if x >= 0 else None),
    "sin": (1, math.sin),
    "cos": (1, math.cos),
    "asin": (1, lambda x: math.asin(x) if -1 <= x <= 1 else None),
    "radians": (1, math.radians),
    "power": (2, math.pow),
    "mod": (2, lambda x, y: math.fmod(x, y) if y else None),
}


def _nulls(function):
    """SQL semantics: any null argument gives null."""

    def wrapper(*args):
        if any(arg is None for arg in args):
            return None
        try:
            return function(*args)
        except (ValueError, OverflowError, KeyError, zoneinfo.ZoneInfoNotFoundError):
            return None

    return wrapper


def add_months(value: str, months: int) -> str:
    """Add months, clamping the day to the end of the target month (as PostgreSQL does)."""
    text = str(value)
    moment = dt.datetime.fromisoformat(text) if len(text) > 10 else dt.datetime.fromisoformat(text[:10])
    total = moment.year * 12 + moment.month - 1 + int(months)
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    moved = moment.replace(year=year, month=month + 1, day=day)
    return moved.date().isoformat() if len(text) <= 10 else moved.strftime("%Y-%m-%d %H:%M:%S")


def initcap(value: str) -> str:
    """First letter of each word upper case, the rest lower case; words are runs of letters and digits."""
    out, previous_alnum = [], False
    for char in str(value):
        out.append(char.lower() if previous_alnum else char.upper())
        previous_alnum = char.isalnum()
    return "".join(out)


def pad(value: str, length: int, fill: str, *, left: bool) -> str:
    value, length = str(value), int(length)
    if length <= 0:
        return ""
    if len(value) >= length or not fill:
        return value[:length]
    filler = (fill * length)[: length - len(value)]
    return filler + value if left else value + filler


def line(value: str, number: int) -> str | None:
    number = int(number)
    if number < 1:
        return None
    lines = str(value).split("\n")
    return lines[number - 1] if number <= len(lines) else ""


def email_domain(value: str) -> str | None:
    text = str(value)
    return text.rsplit("@", 1)[1] if "@" in text else None


_DATETIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")


def to_datetime(text) -> str | None:
    """ToDateTime on SQLite: 'YYYY-MM-DD[ HH:MM[:SS]]' naming a real moment, else null (never rolled
    over to the next month as datetime() does with 2026-02-30)."""
    text = str(text)
    if not _DATETIME_TEXT.fullmatch(text):
        return None
    return dt.datetime.fromisoformat(text.replace("T", " ")).strftime("%Y-%m-%d %H:%M:%S")


def to_timezone(value: str, zone: str) -> str:
    moment = dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)
    return moment.astimezone(zoneinfo.ZoneInfo(str(zone))).strftime("%Y-%m-%d %H:%M:%S")


def truncate_decimals(value, places) -> float:
    factor = 10 ** int(places)
    return math.trunc(float(value) * factor) / factor


class StdDev:
    """Sample standard deviation (PostgreSQL's ``stddev``): null for fewer than two values."""

    def __init__(self):
        self.values: list[float] = []

    def step(self, value):
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        if len(self.values) < 2:
            return None
        mean = sum(self.values) / len(self.values)
        return math.sqrt(sum((v - mean) ** 2 for v in self.values) / (len(self.values) - 1))


FUNCTIONS = {
    "oc_add_months": (2, _nulls(add_months)),
    "oc_md5": (1, _nulls(lambda s: hashlib.md5(str(s).encode(), usedforsecurity=False).hexdigest())),
    "oc_sha256": (1, _nulls(lambda s: hashlib.sha256(str(s).encode()).hexdigest())),
    "oc_sha512": (1, _nulls(lambda s: hashlib.sha512(str(s).encode()).hexdigest())),
    "oc_initcap": (1, _nulls(initcap)),
    "oc_lpad": (3, _nulls(lambda s, n, f: pad(s, n, f, left=True))),
    "oc_rpad": (3, _nulls(lambda s, n, f: pad(s, n, f, left=False))),
    "oc_line": (2, _nulls(line)),
    "oc_email_domain": (1, _nulls(email_domain)),
    "oc_to_timezone": (2, _nulls(to_timezone)),
    "oc_to_datetime": (1, _nulls(to_datetime)),
    "oc_trunc": (2, _nulls(truncate_decimals)),
}


def register_functions(connection: sqlite3.Connection) -> None:
    for name, (arity, function) in FUNCTIONS.items():
        connection.create_function(name, arity, function, deterministic=True)
    connection.create_function("oc_uuid4", 0, lambda: str(uuid.uuid4()))
    connection.create_aggregate("oc_stddev", 1, StdDev)
    try:
        connection.execute("select sin(1), ceil(1.5), mod(3, 2)")
    except sqlite3.OperationalError:
        for name, (arity, function) in MATH_FALLBACKS.items():
            connection.create_function(name, arity, _nulls(function), deterministic=True)


def on_connection_created(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: add the functions to each new SQLite connection."""
    if connection.vendor == "sqlite":
        register_functions(connection.connection)
