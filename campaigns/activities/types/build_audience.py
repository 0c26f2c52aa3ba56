"""Build audience: the rows of a targeting dimension a rule keeps (within the input, when one arrives)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, GraphNode, Outcome, check_dimension
from campaigns.activities.registry import register
from campaigns.activities.sqlparts import keys_in_table
from campaigns.engine import rules
from campaigns.engine.context import dimension_by_name, dimension_key_columns


@dataclass
class BuildAudienceConfig:
    dimension: str
    rule: dict | None = None
    activate_when_empty: bool = False


@register
class BuildAudience(ActivityType):
    """Targets a population with a rule; the starting point of most campaigns."""

    key = "targeting.build_audience"
    label = _("Build audience")
    description = _("Targets a population with a rule; the starting point of most campaigns.")
    Config = BuildAudienceConfig
    min_inputs = 0
    max_inputs = 1

    def validate(self, config, node: GraphNode):
        errors = check_dimension(config.dimension)
        if errors:
            return errors
        if node.input_dimensions and node.input_dimensions[0] not in (None, config.dimension):
            errors.append(("dimension", _("The inbound population is of another dimension.")))
        if config.rule:
            errors += rules.rule_errors(
                dimension=dimension_by_name(config.dimension), rule=config.rule, actor=node.reader
            )
        return errors

    def output_dimension(self, config, node):
        return config.dimension

    def execute(self, ctx, inputs, config):
        dimension = dimension_by_name(config.dimension)
        keys = dimension_key_columns(dimension)
        names = [k["name"] for k in keys]
        select = rules.rule_select(
            dimension=dimension, rule=config.rule, variables=ctx.variables, actor=ctx.reader
        )
        if inputs:
            sub = select.subquery()
            inp = inputs[0]
            select = sa.select(*(sub.c[n] for n in names)).where(
                keys_in_table([sub.c[n] for n in names], inp.table, inp.key_columns)
            )
        count = ctx.emit("out", select, dimension=dimension, key_columns=names, columns=keys)
        if count == 0 and not config.activate_when_empty:
            ctx.deactivate("out")
        return Outcome()
