"""Combine: union, intersection or exclusion of populations of one dimension, on keys or chosen columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import ActivityType, GraphNode, Outcome
from campaigns.activities.registry import register


@dataclass
class CombineConfig:
    operation: Literal["union", "intersection", "exclusion"]
    primary: str | None = None  # source activity key of the primary input; default: the first input
    on: list[str] = field(default_factory=list)  # columns to compare; empty = the dimension key
    complement: bool = False


@register
class Combine(ActivityType):
    """Set operations between inbound populations; waits for every selected input."""

    key = "targeting.combine"
    label = _("Combine")
    description = _("Set operations between inbound populations; waits for every selected input.")
    Config = CombineConfig
    min_inputs = 2
    max_inputs = None
    join_all = True
    needs_audience = True

    def outputs(self, config):
        return ["out", "complement"] if config.complement else ["out"]

    def validate(self, config, node: GraphNode):
        errors = []
        if config.primary is not None and config.primary not in node.inputs:
            errors.append(("primary", _("The primary set must be one of the inbound activities.")))
        if len(set(node.input_dimensions)) > 1:
            errors.append(("", _("Every input must be of the same dimension.")))
        if config.complement and config.operation == "union":
            errors.append(("complement", _("A union has no complement.")))
        return errors

    def execute(self, ctx, inputs, config):
        primary = next((i for i in inputs if i.source_key == config.primary), inputs[0])
        others = [i for i in inputs if i is not primary]
        on = config.on or primary.key_columns

        def matches(inp):
            return sa.exists(
                sa.select(sa.literal(1))
                .select_from(inp.table)
                .where(sa.and_(*(inp.table.c[c] == primary.table.c[c] for c in on)))
            )

        cols = primary.column_names
        if config.operation == "union":
            kept = on if config.on else primary.key_columns
            select = sa.union(*(sa.select(*(i.table.c[c] for c in kept)) for i in inputs))
            columns = [primary.meta_of(c) for c in kept]
            ctx.emit(
                "out",
                select,
                dimension=primary.dimension,
                key_columns=primary.key_columns if set(primary.key_columns) <= set(kept) else [],
                columns=columns,
            )
            return Outcome()
        if config.operation == "intersection":
            kept = sa.and_(*(matches(o) for o in others))
        else:
            kept = sa.not_(sa.or_(*(matches(o) for o in others)))
        base = sa.select(*(primary.table.c[c] for c in cols))
        meta = dict(dimension=primary.dimension, key_columns=primary.key_columns, columns=primary.columns)
        ctx.emit("out", base.where(kept), **meta)
        if config.complement:
            ctx.emit("complement", base.where(sa.not_(kept)), **meta)
        return Outcome()
