"""Test: ordered conditions on the population count or on variables; the first that holds wins."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.registry import register
from campaigns.engine.context import pass_through

OPERATORS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


@dataclass
class Condition:
    output: str
    subject: Literal["count", "variable"] = "count"
    variable: str = ""
    operator: Literal["eq", "ne", "lt", "le", "gt", "ge"] = "gt"
    value: Any = 0


@dataclass
class TestConfig:
    conditions: list[Condition] = field(default_factory=list)
    default: str | None = None  # output taken when no condition holds; else the path stops


@register
class Test(ActivityType):
    """Routes the whole population to the first output whose condition holds (evaluated on a count)."""

    __test__ = False  # not a pytest class
    key = "flow.test"
    label = _("Test")
    description = _(
        "Routes the whole population to the first output whose condition holds (evaluated on a count)."
    )
    category = "flow"
    Config = TestConfig

    def outputs(self, config):
        names = [c.output for c in config.conditions]
        return names + ([config.default] if config.default else [])

    def validate(self, config, node):
        errors = []
        names = self.outputs(config)
        if not config.conditions:
            errors.append(("conditions", _("Add at least one condition.")))
        if len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
            errors.append(
                ("conditions", _("Give each output a distinct name of letters, digits and underscores."))
            )
        for i, c in enumerate(config.conditions):
            if c.subject == "variable" and not c.variable:
                errors.append((f"conditions.{i}.variable", _("Name the variable.")))
        return errors

    def execute(self, ctx, inputs, config):
        inp = inputs[0] if inputs else None
        count = inp.count if inp else 0
        for c in config.conditions:
            left = count if c.subject == "count" else ctx.variables.get(c.variable)
            try:
                holds = left is not None and OPERATORS[c.operator](left, c.value)
            except TypeError:
                holds = False
            if holds:
                pass_through(ctx, inp, c.output)
                return Outcome(message=str(_("Condition %(name)s holds.") % {"name": c.output}))
        if config.default:
            pass_through(ctx, inp, config.default)
            return Outcome()
        return Outcome(message=str(_("No condition holds; the path stops.")))
