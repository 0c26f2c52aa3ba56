"""SQL pieces that differ between SQLite and PostgreSQL, shared by the function builders.

Each helper takes the ``BuildContext`` and returns a SQLAlchemy expression; values stay bound parameters.
"""

from __future__ import annotations

import sqlalchemy as sa

from audiences.query.functions.registry import BuildContext
from audiences.query.types import Type, sql_type

SQLITE_PARTS = {
    "year": "%Y",
    "month": "%m",
    "day": "%d",
    "hour": "%H",
    "minute": "%M",
    "second": "%S",
    "doy": "%j",
}


INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1


def int4(value):
    """PostgreSQL functions such as substr() take integer, and bigint does not cast to it implicitly.

    Clamped to the integer range first: ``Substring(@x, 1, 99999999999)`` means "to the end", not
    "integer out of range" (no string is that long, so the clamped value means the same)."""
    return sa.cast(clamp_int4(value), sa.Integer())


def clamp_int4(value):
    """``value`` (a 64-bit integer expression) bounded to the 32-bit range, still 64-bit."""
    big = sa.cast(value, sa.BigInteger())
    low, high = sa.literal(INT4_MIN, sa.BigInteger()), sa.literal(INT4_MAX, sa.BigInteger())
    return sa.case((big > high, high), (big < low, low), else_=big)


def typed(ctx: BuildContext, value):
    """Give a built expression the SQL type of the function's result (for SQLAlchemy's own operators)."""
    return sa.type_coerce(value, sql_type(ctx.result_type))


def date_part(ctx: BuildContext, value, part: str):
    if ctx.postgresql:
        return sa.cast(sa.func.floor(sa.extract(part, value)), sa.Integer())
    return sa.cast(sa.func.strftime(SQLITE_PARTS[part], value), sa.Integer())


def weekday(ctx: BuildContext, value):
    """0 = Monday ... 6 = Sunday."""
    if ctx.postgresql:
        return sa.cast(sa.extract("isodow", value), sa.Integer()) - 1
    return (sa.cast(sa.func.strftime("%w", value), sa.Integer()) + 6) % 7


def epoch(ctx: BuildContext, value):
    """Whole seconds since 1970-01-01 UTC (dates count from their midnight)."""
    if ctx.postgresql:
        return sa.cast(sa.func.floor(sa.extract("epoch", value)), sa.BigInteger())
    return sa.cast(sa.func.strftime("%s", value), sa.Integer())


def from_epoch(ctx: BuildContext, seconds):
    if ctx.postgresql:
        return sa.func.to_timestamp(seconds)
    return sa.func.datetime(seconds, "unixepoch")


def now(ctx: BuildContext):
    return sa.func.now() if ctx.postgresql else sa.func.datetime("now")


def today(ctx: BuildContext):
    return sa.func.current_date() if ctx.postgresql else sa.func.date("now")


def as_datetime(ctx: BuildContext, value, value_type: Type):
    """A date or date+time as a date+time (SQLite: the canonical 'YYYY-MM-DD HH:MM:SS' text)."""
    if ctx.postgresql:
        return value if value_type == Type.DATETIME else sa.cast(value, sa.DateTime(timezone=True))
    return sa.func.datetime(value)


def as_date(ctx: BuildContext, value):
    return sa.cast(value, sa.Date()) if ctx.postgresql else sa.func.date(value)


def add_interval(ctx: BuildContext, value, value_type: Type, amount, unit: str):
    """``value`` moved by ``amount`` units; months and years clamp to the end of the month."""
    keeps_date = value_type == Type.DATE and unit in ("days", "months", "years")
    if ctx.postgresql:
        slots = ("years", "months", "weeks", "days", "hours", "mins", "secs")
        args = [0] * len(slots)
        args[slots.index({"minutes": "mins", "seconds": "secs"}.get(unit, unit))] = int4(amount)
        moved = value + sa.func.make_interval(*[sa.literal(a) if isinstance(a, int) else a for a in args])
        return sa.cast(moved, sa.Date()) if keeps_date else moved
    shape = sa.func.date(value) if keeps_date else sa.func.datetime(value)
    if unit in ("months", "years"):
        months = amount * 12 if unit == "years" else amount
        return sa.func.oc_add_months(shape, months)
    modifier = sa.func.printf(f"%+d {unit}", amount)
    return sa.func.date(value, modifier) if keeps_date else sa.func.datetime(value, modifier)


def month_index(ctx: BuildContext, value):
    return date_part(ctx, value, "year") * 12 + date_part(ctx, value, "month")


def day_time_key(ctx: BuildContext, value):
    """Day of month and time of day as comparable text, to know whether a month is complete."""
    if ctx.postgresql:
        return sa.func.to_char(value, "DD HH24:MI:SS")
    return sa.func.strftime("%d %H:%M:%S", value)


def months_between(ctx: BuildContext, end, start):
    """Whole months from ``start`` to ``end`` (negative when end is earlier), like a birthday count."""
    months = month_index(ctx, end) - month_index(ctx, start)
    end_key, start_key = day_time_key(ctx, end), day_time_key(ctx, start)
    return sa.case(
        (sa.and_(months > 0, end_key < start_key), months - 1),
        (sa.and_(months < 0, end_key > start_key), months + 1),
        else_=months,
    )


def truncate_toward_zero(ctx: BuildContext, numerator, denominator: int):
    """Integer division truncating toward zero on both databases."""
    if ctx.postgresql:
        return sa.cast(sa.func.trunc(sa.cast(numerator, sa.Numeric()) / denominator), sa.BigInteger())
    return sa.cast(numerator, sa.Integer()).op("/")(denominator)


def least(ctx: BuildContext, a, b):
    """The smaller value, ignoring nulls (PostgreSQL's least(); SQLite's min() returns null on nulls)."""
    if ctx.postgresql:
        return sa.func.least(a, b)
    return sa.func.min(sa.func.coalesce(a, b), sa.func.coalesce(b, a))


def greatest(ctx: BuildContext, a, b):
    if ctx.postgresql:
        return sa.func.greatest(a, b)
    return sa.func.max(sa.func.coalesce(a, b), sa.func.coalesce(b, a))
