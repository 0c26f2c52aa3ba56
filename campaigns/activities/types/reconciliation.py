"""Reconciliation: link a loaded file's rows to a targeting dimension by key pairs."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.catalog.selectors import schema_fields, schema_table
from campaigns.activities.base import FILE, ActivityType, Outcome, check_dimension
from campaigns.activities.registry import register
from campaigns.engine.context import dimension_by_name, dimension_key_columns

LINE = "line"


@dataclass
class KeyPair:
    column: str  # a column of the file
    field: str  # a field of the dimension


@dataclass
class ReconciliationConfig:
    dimension: str
    keys: list[KeyPair] = field(default_factory=list)
    keep_unmatched: bool = False


@register
class Reconciliation(ActivityType):
    """Turns file rows into a population of the dimension; each matched member keeps its file columns
    (from its first matching line). Unmatched lines can go out on their own transition."""

    key = "targeting.reconciliation"
    label = _("Reconciliation")
    Config = ReconciliationConfig

    def outputs(self, config):
        return ["out", "unmatched"] if config.keep_unmatched else ["out"]

    def validate(self, config, node):
        errors = check_dimension(config.dimension)
        if node.input_dimensions and node.input_dimensions[0] != FILE:
            errors.append(("", _("Reconciliation reads the rows of a loaded file.")))
        if not config.keys:
            errors.append(("keys", _("Give at least one pair of file column and dimension field.")))
        elif not errors:
            fields = schema_fields(dimension_by_name(config.dimension).schema)
            errors += [
                (f"keys.{i}.field", _("Unknown field."))
                for i, k in enumerate(config.keys)
                if k.field not in fields
            ]
        return errors

    def output_dimension(self, config, node):
        return config.dimension

    def execute(self, ctx, inputs, config):
        inp = inputs[0]
        f = inp.table
        dim = dimension_by_name(config.dimension)
        keys = dimension_key_columns(dim)
        names = [k["name"] for k in keys]
        d = schema_table(dim.schema).alias("d")
        on = sa.and_(*(d.c[k.field] == f.c[k.column] for k in config.keys))
        file_cols = [c for c in inp.columns if c["name"] not in (LINE, *names)]
        rank = (
            sa.func.row_number().over(partition_by=[d.c[n] for n in names], order_by=f.c[LINE]).label("oc_rn")
        )
        ranked = sa.select(*(d.c[n].label(n) for n in names), *(f.c[c["name"]] for c in file_cols), rank)
        ranked = ranked.select_from(f.join(d, on)).subquery()
        matched = sa.select(*(ranked.c[n] for n in names), *(ranked.c[c["name"]] for c in file_cols)).where(
            ranked.c.oc_rn == 1
        )
        ctx.emit("out", matched, dimension=dim, key_columns=names, columns=[*keys, *file_cols])
        if config.keep_unmatched:
            d2 = schema_table(dim.schema).alias("d2")
            unmatched = sa.select(*(f.c[c] for c in inp.column_names)).where(
                ~sa.exists(
                    sa.select(sa.literal(1))
                    .select_from(d2)
                    .where(sa.and_(*(d2.c[k.field] == f.c[k.column] for k in config.keys)))
                )
            )
            ctx.emit("unmatched", unmatched, dimension=None, key_columns=[LINE], columns=inp.columns)
        return Outcome()
