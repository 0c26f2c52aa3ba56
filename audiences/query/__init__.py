"""The query engine: expressions and their function library, compiled to SQL with SQLAlchemy Core.

Start with ``compile_expression`` (text -> SQLAlchemy expression for a database) and
``audiences.catalog.database.compile_statement`` (statement -> SQL text and parameters for Django's cursor).
See README.md beside this file.
"""

from audiences.query.expressions.compiler import CompiledExpression, check_expression, compile_expression
from audiences.query.expressions.errors import ExpressionError, Position
from audiences.query.expressions.parser import parse
from audiences.query.expressions.resolvers import ResolvedColumn, Resolver, TableResolver, UnknownName
from audiences.query.types import Type

__all__ = [
    "CompiledExpression",
    "ExpressionError",
    "Position",
    "ResolvedColumn",
    "Resolver",
    "TableResolver",
    "Type",
    "UnknownName",
    "check_expression",
    "compile_expression",
    "parse",
]
