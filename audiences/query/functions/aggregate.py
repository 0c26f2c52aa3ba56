"""Aggregate functions: one value from many rows (used with GROUP BY and by the rule engine's aggregates)."""

from __future__ import annotations

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.query.functions.registry import Arg, Family, Same, function
from audiences.query.types import ANY, NUMBER, ORDERABLE, STRING, Type

AGG = {"family": Family.AGGREGATE, "aggregate": True}


def _numeric_result(typing):
    return Type.FLOAT if typing.arg_types[0] == Type.FLOAT else Type.DECIMAL


@function(
    "Avg",
    args=[Arg("value", NUMBER)],
    returns=_numeric_result,
    returns_doc="float for floats, else decimal",
    description=_("Average of the non-null values."),
    example="Avg(@amount)",
    **AGG,
)
def avg(ctx, value):
    return sa.func.avg(value)


@function(
    "Count",
    args=[Arg("value", ANY)],
    returns=Type.INTEGER,
    description=_("Number of non-null values."),
    example="Count(@email)",
    **AGG,
)
def count(ctx, value):
    return sa.func.count(value)


@function(
    "CountAll", args=[], returns=Type.INTEGER, description=_("Number of rows."), example="CountAll()", **AGG
)
def count_all(ctx):
    return sa.func.count()


@function(
    "Countdistinct",
    args=[Arg("value", ANY)],
    returns=Type.INTEGER,
    description=_("Number of distinct non-null values."),
    example="Countdistinct(@city)",
    **AGG,
)
def count_distinct(ctx, value):
    return sa.func.count(sa.distinct(value))


@function(
    "Max",
    args=[Arg("value", ORDERABLE)],
    returns=Same(0),
    description=_("Largest value of a number, string or date."),
    example="Max(@purchaseDate)",
    **AGG,
)
def max_(ctx, value):
    return sa.func.max(value)


@function(
    "Min",
    args=[Arg("value", ORDERABLE)],
    returns=Same(0),
    description=_("Smallest value of a number, string or date."),
    example="Min(@amount)",
    **AGG,
)
def min_(ctx, value):
    return sa.func.min(value)


@function(
    "StdDev",
    args=[Arg("value", NUMBER)],
    returns=Type.FLOAT,
    description=_("Sample standard deviation of the values (null for fewer than two)."),
    example="StdDev(@amount)",
    **AGG,
)
def std_dev(ctx, value):
    if ctx.postgresql:
        return sa.cast(sa.func.stddev_samp(value), sa.Float())
    return sa.func.oc_stddev(value)


@function(
    "StringAgg",
    args=[Arg("value", STRING), Arg("separator", STRING)],
    returns=Type.STRING,
    description=_("The non-null values joined with the separator, in no particular order."),
    example="StringAgg(@city, ', ')",
    **AGG,
)
def string_agg(ctx, value, separator):
    if ctx.postgresql:
        return sa.func.string_agg(value, separator)
    return sa.func.group_concat(value, separator)


@function(
    "Sum",
    args=[Arg("value", NUMBER)],
    returns=Same(0),
    description=_("Sum of the non-null values."),
    example="Sum(@amount)",
    **AGG,
)
def sum_(ctx, value):
    if ctx.postgresql and ctx.result_type == Type.INTEGER:
        return sa.cast(sa.func.sum(value), sa.BigInteger())
    return sa.func.sum(value)
