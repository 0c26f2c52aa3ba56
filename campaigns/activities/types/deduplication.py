"""Deduplication: keep N rows per group of equal values (of fields or an expression), chosen by a rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.query import TableResolver, compile_expression
from campaigns.activities.base import ActivityType, GraphNode, Outcome
from campaigns.activities.registry import register
from campaigns.activities.sqlparts import seeded_order


@dataclass
class DeduplicationConfig:
    fields: list[str] = field(default_factory=list)
    expression: str | None = None  # groups by the expression's value instead of fields
    keep: int = 1
    choose: Literal["random", "highest", "lowest", "non_empty", "values"] = "random"
    choose_expression: str | None = None  # highest / lowest: of this expression; non_empty / values: a field
    values: list[str] = field(default_factory=list)  # choose=values: preferred values, in order
    complement: bool = False
    seed: int = 1


@register
class Deduplication(ActivityType):
    """Removes duplicates, e.g. two customers sharing one email address; the complement has the removed."""

    key = "targeting.deduplication"
    label = _("Deduplication")
    description = _(
        "Removes duplicates, e.g. two customers sharing one email address; the complement has the removed."
    )
    Config = DeduplicationConfig
    needs_audience = True

    def outputs(self, config):
        return ["out", "complement"] if config.complement else ["out"]

    def validate(self, config, node: GraphNode):
        errors = []
        if not config.fields and not config.expression:
            errors.append(("fields", _("Choose fields or an expression to compare.")))
        if config.keep < 1:
            errors.append(("keep", _("Keep at least one row.")))
        if config.choose != "random" and not config.choose_expression:
            errors.append(("choose_expression", _("Say which value decides whom to keep.")))
        if config.choose == "values" and not config.values:
            errors.append(("values", _("List the preferred values.")))
        return errors

    def execute(self, ctx, inputs, config):
        inp = inputs[0]
        t = inp.table
        from_, lookup = inp.with_dimension(
            list(config.fields) + _field_names(config),
            force=bool(config.expression) or config.choose in ("highest", "lowest"),
        )
        dim = from_.right if isinstance(from_, sa.Join) else None
        resolver = TableResolver(dim if dim is not None else t)

        def expression(text):
            return compile_expression(text, resolver=resolver, dialect=ctx.vendor, variables=None).clause

        groups = [lookup[f] for f in config.fields] if config.fields else [expression(config.expression)]
        order = _order(config, lookup, expression) + seeded_order(
            inp.keys, config.seed, [inp.meta_of(k)["type"] for k in inp.key_columns]
        )
        rank = sa.func.row_number().over(partition_by=groups, order_by=order).label("oc_rank")
        ranked = sa.select(*(t.c[c] for c in inp.column_names), rank).select_from(from_).subquery()
        cols = [ranked.c[c] for c in inp.column_names]
        meta = dict(dimension=inp.dimension, key_columns=inp.key_columns, columns=inp.columns)
        ctx.emit("out", sa.select(*cols).where(ranked.c.oc_rank <= config.keep), **meta)
        if config.complement:
            ctx.emit("complement", sa.select(*cols).where(ranked.c.oc_rank > config.keep), **meta)
        return Outcome()


def _field_names(config) -> list[str]:
    return [config.choose_expression] if config.choose in ("non_empty", "values") else []


def _order(config, lookup, expression) -> list:
    if config.choose == "random":
        return []
    if config.choose in ("highest", "lowest"):
        value = expression(config.choose_expression)
        nulls_last = sa.case((value.is_(None), 1), else_=0)
        return [nulls_last, value.desc() if config.choose == "highest" else value.asc()]
    col = lookup[config.choose_expression]
    if config.choose == "non_empty":
        return [sa.case((col.is_(None), 1), (sa.cast(col, sa.String) == "", 1), else_=0)]
    whens = [(col == v, i) for i, v in enumerate(config.values)]
    return [sa.case(*whens, else_=len(config.values))]
