"""Expression text -> typed syntax tree, with errors that say where and what was expected.

The grammar lives in ``grammar.lark`` beside this module. LALR keeps parsing linear and its errors
precise; the transformer below only builds nodes, it decides nothing.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from audiences.query.expressions import ast
from audiences.query.expressions.errors import ExpressionError, Position
from audiences.query.types import Type

MAX_LENGTH = 10_000
INTEGER_LIMIT = 2**63 - 1
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'"}
NAME_RE = r"[A-Za-z_][A-Za-z0-9_]*"

# What the user should read instead of lark's terminal names.
EXPECTED = {
    "NUMBER": "a number",
    "STRING": "a 'string'",
    "DATE_LITERAL": "a date like #2024-01-31#",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "NULL": "'null'",
    "FIELD": "a field like @name",
    "LINK_PATH": "a link path like [link/@name]",
    "VARIABLE": "a variable like $(vars/@name)",
    "NAME": "a function name",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "COMPARE": "a comparison",
    "ADD_OP": "'+'",
    "MINUS": "'-'",
    "MUL_OP": "an operator",
    "OR": "'or'",
    "AND": "'and'",
    "NOT": "'not'",
    "$END": "the end of the expression",
}


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _position(token: Token) -> Position:
    return Position(token.line, token.column, token.start_pos, token.end_pos)


def _unescape(body: str) -> str:
    def replace(match: re.Match) -> str:
        text = match.group(0)
        return "'" if text == "''" else ESCAPES.get(text[1], text[1])

    return re.sub(r"''|\\.", replace, body)


@v_args(inline=True)
class _Builder(Transformer):
    def number(self, token: Token) -> ast.Literal:
        text = str(token)
        if re.fullmatch(r"\d+", text):
            value = int(text)
            if value > INTEGER_LIMIT:
                raise ExpressionError(_("this integer is too large"), _position(token))
            return ast.Literal(value, Type.INTEGER, position=_position(token))
        if "e" in text.lower():
            return ast.Literal(float(text), Type.FLOAT, position=_position(token))
        return ast.Literal(decimal.Decimal(text), Type.DECIMAL, position=_position(token))

    def string(self, token: Token) -> ast.Literal:
        return ast.Literal(_unescape(str(token)[1:-1]), Type.STRING, position=_position(token))

    def date(self, token: Token) -> ast.Literal:
        text = str(token)[1:-1]
        try:
            if " " in text:
                value = dt.datetime.fromisoformat(text)
                return ast.Literal(value, Type.DATETIME, position=_position(token))
            return ast.Literal(dt.date.fromisoformat(text), Type.DATE, position=_position(token))
        except ValueError:
            raise ExpressionError(_("this is not a valid date"), _position(token)) from None

    def true(self, token: Token) -> ast.Literal:
        return ast.Literal(True, Type.BOOLEAN, position=_position(token))

    def false(self, token: Token) -> ast.Literal:
        return ast.Literal(False, Type.BOOLEAN, position=_position(token))

    def null(self, token: Token) -> ast.Literal:
        return ast.Literal(None, Type.NULL, position=_position(token))

    def field(self, token: Token) -> ast.FieldRef:
        return ast.FieldRef((), str(token)[1:], position=_position(token))

    def link_field(self, token: Token) -> ast.FieldRef:
        *links, name = str(token)[1:-1].split("/")
        return ast.FieldRef(tuple(links), name[1:], position=_position(token))

    def variable(self, token: Token) -> ast.Variable:
        return ast.Variable(str(token)[len("$(vars/@") : -1], position=_position(token))

    def unary(self, op: Token, operand: ast.Node) -> ast.Unary:
        return ast.Unary(str(op).lower(), operand, position=_position(op))

    def binary(self, left: ast.Node, op: Token, right: ast.Node) -> ast.Binary:
        text = str(op).lower()
        position = Position(op.line, op.column, left.position.offset, right.position.end_offset)
        return ast.Binary("!=" if text == "<>" else text, left, right, position=position)

    def paren(self, _lpar: Token, inner: ast.Node, _rpar: Token) -> ast.Node:
        return inner

    def call(self, name: Token, _lpar: Token, *rest) -> ast.Call:
        args = tuple(item for item in rest if isinstance(item, ast.Node))
        end = rest[-1].end_pos
        position = Position(name.line, name.column, name.start_pos, end)
        return ast.Call(str(name), args, position=position)


def parse(text: str) -> ast.Node:
    """Parse an expression; raises ``ExpressionError`` with the position and what was expected."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(_("the expression is empty"), Position(1, 1, 0, 0))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(_("the expression is longer than %(max)s characters") % {"max": MAX_LENGTH})
    try:
        tree = _parser().parse(text)
        node = _Builder().transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, ExpressionError):
            raise error.orig_exc from None
        raise
    except UnexpectedInput as error:
        raise _syntax_error(error, text) from None
    except RecursionError:
        raise ExpressionError(_("the expression is nested too deeply")) from None
    return node


def _syntax_error(error: UnexpectedInput, text: str) -> ExpressionError:
    if isinstance(error, UnexpectedEOF | UnexpectedToken) and getattr(error, "token", None) is not None:
        token = error.token
        if token.type == "$END":
            offset = len(text)
            line = text.count("\n") + 1
            column = offset - (text.rfind("\n") + 1) + 1
            found = _("end of the expression")
        else:
            offset, line, column = token.start_pos, token.line, token.column
            found = repr(str(token))
        expected = error.expected
    elif isinstance(error, UnexpectedCharacters):
        offset, line, column = error.pos_in_stream, error.line, error.column
        found = repr(text[offset])
        expected = error.allowed or set()
    else:  # pragma: no cover - lark raises only the three kinds above for LALR
        offset, line, column, found, expected = 0, 1, 1, "?", set()
    names = tuple(sorted({EXPECTED.get(name, name) for name in expected}))
    position = Position(line, column, offset, offset + 1)
    return ExpressionError(_("unexpected %(found)s") % {"found": found}, position, names)
