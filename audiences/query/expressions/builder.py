"""The builder: a checked tree -> SQLAlchemy Core expression for one database.

It only follows decisions already made by the checker. Every literal and variable becomes a bound
parameter (``sa.literal``), never text; identifiers come only from the resolver's columns.
"""

from __future__ import annotations

import sqlalchemy as sa

from audiences.query.expressions import ast
from audiences.query.expressions.checker import Analysis
from audiences.query.expressions.resolvers import Variables
from audiences.query.functions.registry import BuildContext
from audiences.query.types import Type, is_numeric, is_temporal, sql_type


class Builder:
    def __init__(self, analysis: Analysis, dialect: str, variables: Variables | None = None):
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {dialect!r}")
        self.analysis = analysis
        self.dialect = dialect
        self.variables = dict(variables or {})

    def build(self, node: ast.Node):
        if isinstance(node, ast.Literal):
            return bound(node.value, node.type)
        if isinstance(node, ast.FieldRef):
            return self.analysis.columns[id(node)].column
        if isinstance(node, ast.Variable):
            value_type, value = self.variables[node.name]
            return bound(value, value_type)
        if isinstance(node, ast.Unary):
            operand = self._typed_null(node.operand, self.analysis.type_of(node))
            return sa.not_(operand) if node.op == "not" else -operand
        if isinstance(node, ast.Binary):
            return self._binary(node)
        return self._call(node)

    def _binary(self, node: ast.Binary):
        left_type, right_type = self.analysis.type_of(node.left), self.analysis.type_of(node.right)
        result = self.analysis.type_of(node)
        if node.op in COMPARE:
            left, right = self.build(node.left), self.build(node.right)
        else:
            left, right = self._typed_null(node.left, result), self._typed_null(node.right, result)
        if node.op == "and":
            return sa.and_(left, right)
        if node.op == "or":
            return sa.or_(left, right)
        if node.op in ("=", "!=", "<", "<=", ">", ">="):
            if self.dialect == "sqlite" and {left_type, right_type} == {Type.DATE, Type.DATETIME}:
                # SQLite keeps dates as text: compare both sides in the same 'YYYY-MM-DD HH:MM:SS' shape.
                left, right = sa.func.datetime(left), sa.func.datetime(right)
            return COMPARE[node.op](left, right)
        if result == Type.STRING:
            return left.op("||", return_type=sa.String())(right)
        return arithmetic(node.op, left, right, result, self.dialect)

    def _typed_null(self, node: ast.Node, value_type: Type):
        """Build ``node``; a bare null gets the SQL type the operator needs (PostgreSQL asks for one)."""
        compiled = self.build(node)
        if self.analysis.type_of(node) == Type.NULL and value_type not in (Type.NULL, Type.ANY):
            return sa.cast(compiled, sql_type(value_type))
        return compiled

    def _call(self, node: ast.Call):
        spec = self.analysis.specs[id(node)]
        args = []
        for index, arg_node in enumerate(node.args):
            compiled = self.build(arg_node)
            if self.analysis.type_of(arg_node) == Type.NULL:
                # A typed NULL, so PostgreSQL can pick among a function's overloads.
                members = spec.arg_for(index).types.members
                chosen = next((t for t in NULL_CAST_PREFERENCE if t in members), None)
                if chosen is not None:
                    compiled = sa.cast(compiled, sql_type(chosen))
            args.append(compiled)
        context = BuildContext(
            self.dialect, tuple(self.analysis.type_of(arg) for arg in node.args), self.analysis.type_of(node)
        )
        return spec.build(context, *args)


NULL_CAST_PREFERENCE = (
    Type.STRING,
    Type.DATETIME,
    Type.DATE,
    Type.DECIMAL,
    Type.FLOAT,
    Type.INTEGER,
    Type.BOOLEAN,
)

COMPARE = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def bound(value, value_type: Type):
    """A value as a bound parameter of its SQL type; null is the NULL keyword."""
    if value is None:
        return sa.null()
    return sa.literal(value, sql_type(value_type))


def arithmetic(op: str, left, right, result: Type, dialect: str):
    """``+ - * / %`` with the same meaning on both databases: x / 0 and x % 0 are null, / is true division."""
    typed = sql_type(result) if is_numeric(result) else sa.Float()
    if op in ("+", "-", "*"):
        return left.op(op, return_type=typed)(right)
    if op == "/":
        if result == Type.FLOAT:
            left = sa.cast(left, sa.Float())
        elif result == Type.DECIMAL and dialect == "postgresql":
            left = sa.cast(left, sa.Numeric())
        return left.op("/", return_type=typed)(sa.func.nullif(right, 0))
    # Remainder with the sign of the dividend. SQLite's % truncates to integers and PostgreSQL has no
    # float %, so non-integers go through mod() (SQLite) or numeric % (PostgreSQL).
    if result == Type.INTEGER or is_temporal(result):
        return left.op("%", return_type=typed)(sa.func.nullif(right, 0))
    if dialect == "sqlite":
        return sa.func.mod(left, sa.func.nullif(right, 0), type_=typed)
    remainder = sa.cast(left, sa.Numeric()).op("%")(sa.func.nullif(sa.cast(right, sa.Numeric()), 0))
    return sa.cast(remainder, typed)
