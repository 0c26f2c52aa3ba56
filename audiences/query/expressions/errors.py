"""The one error the expression language raises: a message, where it happened, and what was expected.

Parse errors, type errors and unknown names all become an ``ExpressionError`` so a caller (the rule
validator, the API, the admin editor) can show every problem the same way, pointing at the position.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Position:
    """Where a node starts in the expression text: 1-based line and column, 0-based offsets."""

    line: int
    column: int
    offset: int
    end_offset: int

    def __str__(self) -> str:
        return _("line %(line)s, column %(column)s") % {"line": self.line, "column": self.column}


class ExpressionError(ValueError):
    """A problem in an expression, with its position and, when known, what would have been accepted."""

    def __init__(self, message: str, position: Position | None = None, expected: tuple[str, ...] = ()):
        self.message = message
        self.position = position
        self.expected = expected
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = self.message
        if self.expected:
            text = _("%(message)s; expected %(expected)s") % {
                "message": text,
                "expected": _(" or ").join(self.expected),
            }
        if self.position is not None:
            text = _("%(message)s (at %(position)s)") % {"message": text, "position": self.position}
        return text

    def as_dict(self) -> dict:
        """The error as plain data, for the API's error payload and the admin editor."""
        data: dict = {"message": self.message, "expected": list(self.expected)}
        if self.position is not None:
            data.update(
                line=self.position.line,
                column=self.position.column,
                offset=self.position.offset,
                end_offset=self.position.end_offset,
            )
        return data
