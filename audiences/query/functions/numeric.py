"""Numeric functions. Rounding is half away from zero and conversions to integer truncate toward zero,
on both databases (PostgreSQL's float-to-bigint cast would round half to even otherwise)."""

from __future__ import annotations

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.query.functions import sqlparts as sql
from audiences.query.functions.registry import Arg, Family, Same, function
from audiences.query.types import INTEGER, NUMBER, Type, common_type

NUM = {"family": Family.NUMERIC}


def _widest(typing):
    return common_type(*typing.arg_types) or Type.FLOAT


def _fractional(typing):
    return Type.FLOAT if typing.arg_types[0] == Type.FLOAT else Type.DECIMAL


@function(
    "Abs",
    args=[Arg("number", NUMBER)],
    returns=Same(0, Type.INTEGER),
    description=_("Absolute value."),
    example="Abs(@balance)",
    **NUM,
)
def abs_(ctx, value):
    return sa.func.abs(value)


@function(
    "Ceil",
    args=[Arg("number", NUMBER)],
    returns=Type.INTEGER,
    description=_("Smallest integer greater than or equal to the number."),
    example="Ceil(@amount)",
    **NUM,
)
def ceil(ctx, value):
    return sa.cast(sa.func.ceil(value), sa.BigInteger())


@function(
    "Floor",
    args=[Arg("number", NUMBER)],
    returns=Type.INTEGER,
    description=_("Greatest integer less than or equal to the number."),
    example="Floor(@amount)",
    **NUM,
)
def floor(ctx, value):
    return sa.cast(sa.func.floor(value), sa.BigInteger())


@function(
    "Greatest",
    args=[Arg("first", NUMBER), Arg("second", NUMBER)],
    returns=_widest,
    returns_doc="the wider number type of the two",
    description=_("The larger of two numbers, ignoring a null one."),
    example="Greatest(@a, @b)",
    **NUM,
)
def greatest(ctx, first, second):
    return sql.greatest(ctx, first, second)


@function(
    "Least",
    args=[Arg("first", NUMBER), Arg("second", NUMBER)],
    returns=_widest,
    returns_doc="the wider number type of the two",
    description=_("The smaller of two numbers, ignoring a null one."),
    example="Least(@a, @b)",
    **NUM,
)
def least(ctx, first, second):
    return sql.least(ctx, first, second)


@function(
    "Mod",
    args=[Arg("dividend", NUMBER), Arg("divisor", NUMBER)],
    returns=_widest,
    returns_doc="the wider number type of the two",
    description=_("Remainder of the division, with the sign of the dividend; null when dividing by 0."),
    example="Mod(@customerId, 10)",
    **NUM,
)
def mod(ctx, dividend, divisor):
    from audiences.query.expressions.builder import arithmetic

    return arithmetic("%", dividend, divisor, ctx.result_type, ctx.dialect)


@function(
    "Percent",
    args=[Arg("part", NUMBER), Arg("whole", NUMBER)],
    returns=Type.FLOAT,
    description=_("The first number as a percentage of the second; null when the second is 0."),
    example="Percent(@opened, @sent)",
    **NUM,
)
def percent(ctx, part, whole):
    return sa.cast(part, sa.Float()) * 100 / sa.func.nullif(sa.cast(whole, sa.Float()), 0)


@function(
    "Random",
    args=[],
    returns=Type.FLOAT,
    description=_("A random number from 0 (included) to 1 (excluded), new for each row."),
    example="Random() < 0.1",
    **NUM,
)
def random(ctx):
    if ctx.postgresql:
        return sa.func.random()
    # SQLite's random() is a 64-bit integer; scale its absolute value into [0, 1).
    return sa.func.abs(sa.func.random().op("/")(2)).op("/")(sa.literal(4611686018427387904.0))


@function(
    "Round",
    args=[Arg("number", NUMBER), Arg("decimals", INTEGER, optional=True)],
    returns=_fractional,
    returns_doc="float for a float, else decimal",
    description=_("The number rounded to a number of decimals (0 if omitted), halves away from zero."),
    example="Round(@amount, 1)",
    **NUM,
)
def round_(ctx, value, decimals=None):
    decimals = sa.literal(0) if decimals is None else decimals
    if ctx.postgresql:
        rounded = sa.func.round(sa.cast(value, sa.Numeric()), sql.int4(decimals))
        return sa.cast(rounded, sa.Float()) if ctx.result_type == Type.FLOAT else rounded
    return sa.func.round(value, decimals)


@function(
    "Sign",
    args=[Arg("number", NUMBER)],
    returns=Type.INTEGER,
    description=_("-1, 0 or 1 as the number is negative, zero or positive."),
    example="Sign(@balance)",
    **NUM,
)
def sign(ctx, value):
    return sa.cast(sa.func.sign(value), sa.Integer())


@function(
    "ToDouble",
    args=[Arg("number", NUMBER)],
    returns=Type.FLOAT,
    description=_("The number as a floating-point number."),
    example="ToDouble(@quantity) / 3",
    **NUM,
)
def to_double(ctx, value):
    return sa.cast(value, sa.Float())


def _to_integer(ctx, value):
    if ctx.postgresql:
        return sa.cast(sa.func.trunc(value), sa.BigInteger())
    return sa.cast(value, sa.Integer())


function(
    "ToInteger",
    args=[Arg("number", NUMBER)],
    returns=Type.INTEGER,
    description=_("The number as an integer, truncated toward zero."),
    example="ToInteger(@score)",
    **NUM,
)(_to_integer)
function(
    "ToInt64",
    args=[Arg("number", NUMBER)],
    returns=Type.INTEGER,
    description=_("The number as a 64-bit integer, truncated toward zero (same as ToInteger)."),
    example="ToInt64(@score * 1000)",
    **NUM,
)(_to_integer)


@function(
    "Trunc",
    args=[Arg("number", NUMBER), Arg("decimals", INTEGER, optional=True)],
    returns=_fractional,
    returns_doc="float for a float, else decimal",
    description=_("The number truncated toward zero to a number of decimals (0 if omitted)."),
    example="Trunc(@amount, 1)",
    **NUM,
)
def trunc(ctx, value, decimals=None):
    decimals = sa.literal(0) if decimals is None else decimals
    if ctx.postgresql:
        cut = sa.func.trunc(sa.cast(value, sa.Numeric()), sql.int4(decimals))
        return sa.cast(cut, sa.Float()) if ctx.result_type == Type.FLOAT else cut
    return sa.func.oc_trunc(value, decimals)
