"""One call from expression text to a SQLAlchemy expression: parse, resolve and check, build."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from audiences.query.expressions import ast
from audiences.query.expressions.builder import Builder
from audiences.query.expressions.checker import Checker
from audiences.query.expressions.parser import parse
from audiences.query.expressions.resolvers import Resolver, Variables
from audiences.query.types import Type


@dataclass(frozen=True)
class CompiledExpression:
    """The SQL of an expression, its type, and whether it aggregates rows or uses a window."""

    clause: sa.ColumnElement
    type: Type
    aggregate: bool
    window: bool


def check_expression(
    expression: str | ast.Node, *, resolver: Resolver, variables: Variables | None = None
) -> Type:
    """The type of an expression, or an ``ExpressionError``; builds no SQL."""
    node = parse(expression) if isinstance(expression, str) else expression
    return Checker(resolver, variables).run(node).type_of(node)


def compile_expression(
    expression: str | ast.Node,
    *,
    resolver: Resolver,
    dialect: str,
    variables: Variables | None = None,
) -> CompiledExpression:
    """Compile for ``dialect`` ("sqlite" or "postgresql", i.e. ``connection.vendor``)."""
    node = parse(expression) if isinstance(expression, str) else expression
    analysis = Checker(resolver, variables).run(node)
    clause = Builder(analysis, dialect, variables).build(node)
    return CompiledExpression(clause, analysis.type_of(node), analysis.aggregate, analysis.window)
