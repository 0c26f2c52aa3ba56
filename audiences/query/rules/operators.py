"""Operators by value type: a registry, each operator with the types it fits, its arity and its SQL.

An operator that does not fit the left side's type is rejected by the compiler with the node's path;
the registry is also what docs/rules.md and the OpenAPI schema list. Empty values (SQL null, and the
empty string for text) match only ``is_empty``: every other comparison with an empty value is false,
negative ones included (``not_equal 'x'`` does not match a customer without a value).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.query.types import Type

ALL = frozenset({Type.STRING, Type.INTEGER, Type.DECIMAL, Type.FLOAT, Type.BOOLEAN, Type.DATE, Type.DATETIME})
ORDERED = ALL - {Type.BOOLEAN}
LISTABLE = ORDERED
TEXT = frozenset({Type.STRING})
TEMPORAL = frozenset({Type.DATE, Type.DATETIME})


@dataclass(frozen=True)
class OperatorContext:
    dialect: str
    type: Type
    case_insensitive: bool


# Arity: "none" (no value), "one", "two" (between), "many" (a list), "count" (a relative-date N).
@dataclass(frozen=True)
class Operator:
    key: str
    label: object
    types: frozenset[Type]
    arity: str
    build: Callable  # build(ctx, left, rights: list[ColumnElement]) -> predicate
    relative: bool = False  # bounds computed from today (relative dates)
    case_option: bool = False  # honours case_insensitive
    aggregate_ok: bool = False  # may compare an aggregate

    def fits(self, value_type: Type) -> bool:
        return value_type in self.types or value_type == Type.ANY


OPERATORS: dict[str, Operator] = {}


def register(operator: Operator) -> Operator:
    if operator.key in OPERATORS:
        raise ValueError(f"operator {operator.key!r} is already registered")
    OPERATORS[operator.key] = operator
    return operator


def _fold(ctx: OperatorContext, element):
    return sa.func.lower(element) if ctx.case_insensitive and ctx.type == Type.STRING else element


def _compare(method: str):
    def build(ctx, left, rights):
        return getattr(_fold(ctx, left), method)(_fold(ctx, rights[0]))

    return build


def _between(ctx, left, rights):
    return sa.and_(_fold(ctx, left) >= _fold(ctx, rights[0]), _fold(ctx, left) <= _fold(ctx, rights[1]))


def _in(ctx, left, rights):
    if not rights:
        return sa.false()
    return _fold(ctx, left).in_([_fold(ctx, r) for r in rights])


def _not_in(ctx, left, rights):
    if not rights:
        return left.is_not(None)
    return _fold(ctx, left).not_in([_fold(ctx, r) for r in rights])


def _is_empty(ctx, left, rights):
    if ctx.type == Type.STRING:
        return sa.or_(left.is_(None), left == "")
    return left.is_(None)


def _is_not_empty(ctx, left, rights):
    if ctx.type == Type.STRING:
        return sa.and_(left.is_not(None), left != "")
    return left.is_not(None)


def _position(ctx, haystack, needle):
    if ctx.dialect == "postgresql":
        return sa.func.strpos(haystack, needle)
    return sa.func.instr(haystack, needle)


def _contains(ctx, left, rights):
    return _position(ctx, _fold(ctx, left), _fold(ctx, rights[0])) > 0


def _not_contains(ctx, left, rights):
    return _position(ctx, _fold(ctx, left), _fold(ctx, rights[0])) == 0


def _starts(ctx, left, rights):
    left, prefix = _fold(ctx, left), _fold(ctx, rights[0])
    if ctx.dialect == "postgresql":
        return sa.func.starts_with(left, prefix)
    return sa.func.substr(left, 1, sa.func.length(prefix)) == prefix


def _not_starts(ctx, left, rights):
    return sa.not_(_starts(ctx, left, rights))


def _like(ctx, left, rights):
    """SQL LIKE (``%`` any text, ``_`` one character). SQLite's LIKE ignores case, so a case-sensitive
    like there is a GLOB whose pattern the compiler translated (see ``glob_pattern``)."""
    if ctx.case_insensitive:
        return sa.func.lower(left).like(sa.func.lower(rights[0]))
    if ctx.dialect == "sqlite":
        return left.op("GLOB", return_type=sa.Boolean())(rights[0])
    return left.like(rights[0])


def _not_like(ctx, left, rights):
    return sa.not_(_like(ctx, left, rights))


def glob_pattern(like: str) -> str:
    """A LIKE pattern as the GLOB pattern with the same meaning, case-sensitively (SQLite)."""
    out = []
    for char in like:
        if char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        elif char in "*?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)


def _range(ctx, left, rights):
    return sa.and_(left >= rights[0], left < rights[1])


for _op in (
    Operator("equal", _("equals"), ALL, "one", _compare("__eq__"), case_option=True, aggregate_ok=True),
    Operator(
        "not_equal", _("does not equal"), ALL, "one", _compare("__ne__"), case_option=True, aggregate_ok=True
    ),
    Operator("less", _("is less than"), ORDERED, "one", _compare("__lt__"), aggregate_ok=True),
    Operator("less_or_equal", _("is at most"), ORDERED, "one", _compare("__le__"), aggregate_ok=True),
    Operator("greater", _("is greater than"), ORDERED, "one", _compare("__gt__"), aggregate_ok=True),
    Operator("greater_or_equal", _("is at least"), ORDERED, "one", _compare("__ge__"), aggregate_ok=True),
    Operator("between", _("is between (inclusive)"), ORDERED, "two", _between, aggregate_ok=True),
    Operator("in", _("is one of"), LISTABLE, "many", _in, case_option=True, aggregate_ok=True),
    Operator("not_in", _("is none of"), LISTABLE, "many", _not_in, case_option=True, aggregate_ok=True),
    Operator("is_empty", _("is empty"), ALL, "none", _is_empty),
    Operator("is_not_empty", _("is not empty"), ALL, "none", _is_not_empty),
    Operator("starts_with", _("starts with"), TEXT, "one", _starts, case_option=True),
    Operator("not_starts_with", _("does not start with"), TEXT, "one", _not_starts, case_option=True),
    Operator("contains", _("contains"), TEXT, "one", _contains, case_option=True),
    Operator("not_contains", _("does not contain"), TEXT, "one", _not_contains, case_option=True),
    Operator("like", _("matches the pattern"), TEXT, "one", _like, case_option=True),
    Operator("not_like", _("does not match the pattern"), TEXT, "one", _not_like, case_option=True),
    Operator("today", _("is today"), TEMPORAL, "none", _range, relative=True),
    Operator("yesterday", _("is yesterday"), TEMPORAL, "none", _range, relative=True),
    Operator("this_week", _("is this week"), TEMPORAL, "none", _range, relative=True),
    Operator("this_month", _("is this month"), TEMPORAL, "none", _range, relative=True),
    Operator("this_year", _("is this year"), TEMPORAL, "none", _range, relative=True),
    Operator("last_n_days", _("is in the last N days"), TEMPORAL, "count", _range, relative=True),
    Operator("next_n_days", _("is in the next N days"), TEMPORAL, "count", _range, relative=True),
    Operator("last_n_weeks", _("is in the last N weeks"), TEMPORAL, "count", _range, relative=True),
    Operator("next_n_weeks", _("is in the next N weeks"), TEMPORAL, "count", _range, relative=True),
    Operator("last_n_months", _("is in the last N months"), TEMPORAL, "count", _range, relative=True),
    Operator("next_n_months", _("is in the next N months"), TEMPORAL, "count", _range, relative=True),
):
    register(_op)


def operator_get(key: str) -> Operator | None:
    return OPERATORS.get(key)


def operators_for(value_type: Type) -> list[str]:
    return [key for key, op in OPERATORS.items() if op.fits(value_type)]
