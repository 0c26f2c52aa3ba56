"""Personal fields in rules for a user without the personal-data preview permission (issue 12 §3).

An exact count is an oracle: ``email starts_with "a"``, then ``"ab"``… reads a value one character at a
time, and so do ``contains``, ``like``, ranges, ``min``/``max`` aggregates and expressions over the field.
Without the permission a condition on a personal field may only ask whether it is empty, or whether it
equals a value the user supplies (a guess of the whole value, which reveals no more than the user
already knows). See docs/adr/0004-personal-data-in-rules.md.

The compiler calls these checks only when it guards a user (``RuleCompiler.guard_personal``): the
interactive rule services set it from the actor's permission.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# Operators allowed on a personal field without the permission.
ALLOWED_OPERATORS = ("is_empty", "is_not_empty", "equal")
# Aggregates over a personal field that reveal nothing about its values.
ALLOWED_AGGREGATES = ("count",)


def condition_problem(node, operator_key: str, field_name: str) -> str | None:
    """Why a condition on the personal field ``field_name`` is refused, or None when it is allowed."""
    supplied = getattr(node, "expression", None) is None
    if operator_key in ALLOWED_OPERATORS and (operator_key != "equal" or supplied):
        return None
    return _(
        "“%(field)s” is personal data: your profile may only use is_empty, is_not_empty or equal "
        "(with a value you give) on it, not “%(op)s”."
    ) % {"field": field_name, "op": operator_key}


def aggregate_problem(function: str, field_name: str) -> str | None:
    if function in ALLOWED_AGGREGATES:
        return None
    return _(
        "“%(field)s” is personal data: your profile may not compute %(function)s over it (only count)."
    ) % {"field": field_name, "function": function}


def expression_problem(names: list[str]) -> str:
    return _("%(fields)s: personal data cannot be used in an expression by your profile.") % {
        "fields": ", ".join(f"@{name}" for name in names)
    }


class RecordingResolver:
    """Wraps an expression resolver and records the personal fields an expression reads."""

    def __init__(self, inner, catalog):
        self._inner, self._catalog = inner, catalog
        self.personal: list[str] = []

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def field(self, path: tuple[str, ...], name: str):
        resolved = self._inner.field(path, name)
        sides = self._catalog.walk(self._inner.info, list(path))
        target = self._catalog.info(sides[-1].to_schema.pk) if sides else self._inner.info
        found = target.fields.get(name)
        if found is not None and found.is_personal:
            self.personal.append(".".join((*path, name)))
        return resolved
