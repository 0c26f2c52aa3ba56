"""Change dimension: follow a link to another targeting dimension, keeping distinct keys."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.catalog.selectors import schema_links, schema_table
from campaigns.activities.base import ActivityType, Outcome, check_dimension
from campaigns.activities.registry import register
from campaigns.engine.context import dimension_by_name, dimension_key_columns


@dataclass
class ChangeDimensionConfig:
    link: str  # the link's name seen from the input's schema, e.g. "customer"
    dimension: str  # the target dimension (schema name) the link leads to


@register
class ChangeDimension(ActivityType):
    """Turns e.g. a population of bookings into the customers who made them."""

    key = "targeting.change_dimension"
    label = _("Change dimension")
    description = _("Turns e.g. a population of bookings into the customers who made them.")
    Config = ChangeDimensionConfig
    needs_audience = True

    def validate(self, config, node):
        errors = check_dimension(config.dimension)
        source = node.input_dimensions[0] if node.input_dimensions else None
        if errors or not source or source.startswith("@"):
            return errors
        side = schema_links(dimension_by_name(source).schema).get(config.link)
        if side is None:
            return [
                ("link", _("No link %(name)s from %(schema)s.") % {"name": config.link, "schema": source})
            ]
        if side.to_schema.name != config.dimension:
            return [("dimension", _("The link leads to %(schema)s.") % {"schema": side.to_schema.name})]
        return []

    def output_dimension(self, config, node):
        return config.dimension

    def execute(self, ctx, inputs, config):
        inp = inputs[0]
        side = schema_links(inp.dimension.schema)[config.link]
        target = dimension_by_name(config.dimension)
        keys = dimension_key_columns(target)
        src = schema_table(side.from_schema).alias("s")
        dst = schema_table(side.to_schema).alias("t")
        on_input = sa.and_(*(src.c[k] == inp.table.c[k] for k in inp.key_columns))
        on_link = sa.and_(*(src.c[a.name] == dst.c[b.name] for a, b in side.keys))
        select = (
            sa.select(*(dst.c[k["name"]].label(k["name"]) for k in keys))
            .select_from(inp.table.join(src, on_input).join(dst, on_link))
            .distinct()
        )
        ctx.emit("out", select, dimension=target, key_columns=[k["name"] for k in keys], columns=keys)
        return Outcome()
