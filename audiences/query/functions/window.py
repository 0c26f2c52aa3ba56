"""Window functions: values computed over a partition of rows without grouping them."""

from __future__ import annotations

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.query.functions.registry import Arg, ArgumentMismatch, Family, Same, function
from audiences.query.types import ANY, ORDERABLE, Type, one_of

WINDOW = {"family": Family.WINDOW}
SORTABLE = one_of("value or Desc(...)", Type.ANY, Type.SORT_KEY)
CLAUSES = one_of("PartitionBy(...) or OrderBy(...)", Type.PARTITION, Type.ORDERING)


@function(
    "Desc",
    args=[Arg("value", ORDERABLE)],
    returns=Type.SORT_KEY,
    description=_("Sort by the value in descending order (nulls last), inside OrderBy."),
    example="RowNum(PartitionBy(@city), OrderBy(Desc(@amount)))",
    **WINDOW,
)
def desc(ctx, value):
    # Nulls last in both directions on both databases (their defaults differ).
    return value.desc().nulls_last()


@function(
    "OrderBy",
    args=[Arg("values", SORTABLE, variadic=True)],
    returns=Type.ORDERING,
    description=_("The order of rows inside each partition (ascending unless Desc, nulls last)."),
    example="RowNum(PartitionBy(@city), OrderBy(@lastName, @id))",
    **WINDOW,
)
def order_by(ctx, *values):
    keys = [
        v if kind == Type.SORT_KEY else v.asc().nulls_last()
        for v, kind in zip(values, ctx.arg_types, strict=True)
    ]
    return ("order", keys)


@function(
    "PartitionBy",
    args=[Arg("values", ANY, variadic=True)],
    returns=Type.PARTITION,
    description=_("The groups of rows a window function works in."),
    example="RowNum(PartitionBy(@household), OrderBy(@birthDate))",
    **WINDOW,
)
def partition_by(ctx, *values):
    return ("partition", list(values))


def _window(typing, first: int):
    clauses = typing.arg_types[first:]
    for kind in (Type.PARTITION, Type.ORDERING):
        if clauses.count(kind) > 1:
            raise ArgumentMismatch(_("%(kind)s is given twice") % {"kind": kind.label}, None)


def _over(element, clauses):
    if isinstance(element, sa.Cast):  # an aggregate cast to its result type: the window goes inside
        return sa.cast(_over(element.clause, clauses), element.type)
    partition = next((c[1] for c in clauses if c[0] == "partition"), None)
    order = next((c[1] for c in clauses if c[0] == "order"), None)
    return sa.over(element, partition_by=partition, order_by=order)


def _row_num_type(typing):
    _window(typing, 0)
    return Type.INTEGER


@function(
    "RowNum",
    args=[Arg("window", CLAUSES, optional=True, variadic=True)],
    returns=_row_num_type,
    returns_doc="integer",
    window=True,
    description=_("Row number, from 1, inside each partition in the given order."),
    example="RowNum(PartitionBy(@household), OrderBy(Desc(@amount))) = 1",
    **WINDOW,
)
def row_num(ctx, *clauses):
    return _over(sa.func.row_number(), clauses)


def _over_type(typing):
    _window(typing, 1)
    return Same(0)(typing)


@function(
    "_Over_",
    args=[Arg("aggregate", ANY), Arg("window", CLAUSES, optional=True, variadic=True)],
    returns=_over_type,
    returns_doc="same as the aggregate",
    window=True,
    over=True,
    description=_("An aggregate computed over each row's partition instead of grouping the rows."),
    example="@amount / _Over_(Sum(@amount), PartitionBy(@household))",
    **WINDOW,
)
def over(ctx, aggregate, *clauses):
    return _over(aggregate, clauses)
