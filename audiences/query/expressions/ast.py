"""The typed syntax tree of an expression: what the parser produces and every later pass reads.

Nodes are immutable; passes keep what they learn (types, resolved columns) in side tables keyed by the
node, so one parsed tree can be checked against several resolvers.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field

from audiences.query.expressions.errors import Position
from audiences.query.types import Type


@dataclass(frozen=True, eq=False)
class Node:
    position: Position = field(kw_only=True)


@dataclass(frozen=True, eq=False)
class Literal(Node):
    value: str | int | decimal.Decimal | float | bool | dt.date | dt.datetime | None
    type: Type


@dataclass(frozen=True, eq=False)
class FieldRef(Node):
    """``@name`` (empty path) or ``[link/other/@name]`` (path of link names)."""

    path: tuple[str, ...]
    name: str


@dataclass(frozen=True, eq=False)
class Variable(Node):
    """``$(vars/@name)``: a campaign variable, bound as a parameter."""

    name: str


@dataclass(frozen=True, eq=False)
class Unary(Node):
    op: str  # "not" or "-"
    operand: Node


@dataclass(frozen=True, eq=False)
class Binary(Node):
    op: str  # + - * / % = != < <= > >= and or
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Call(Node):
    name: str
    args: tuple[Node, ...]


def walk(node: Node):
    """Every node of a tree, parents first."""
    yield node
    if isinstance(node, Unary):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)
