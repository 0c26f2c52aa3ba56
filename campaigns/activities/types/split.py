"""Split: ordered subsets, each with a filter and a limit (top-N by a sort, else a seeded sample)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from campaigns.activities.base import FILE, ActivityType, GraphNode, Outcome
from campaigns.activities.registry import register
from campaigns.activities.sqlparts import SortField, keys_in, keys_in_table, seeded_order, sort_clauses
from campaigns.engine import rules
from campaigns.engine.context import column_meta, dimension_by_name

SEGMENT_COLUMN = "segment_code"


@dataclass
class Limit:
    kind: Literal["count", "percent"]
    value: float


@dataclass
class Subset:
    code: str
    label: str = ""
    filter: dict | None = None
    limit: Limit | None = None
    sort: list[SortField] = field(default_factory=list)


@dataclass
class SplitConfig:
    subsets: list[Subset]
    mode: Literal["first_match", "overlap"] = "first_match"
    complement: bool = False
    skip_empty: bool = False
    single_table: bool = False
    seed: int = 1


@register
class Split(ActivityType):
    """Divides a population into subsets; with first match a row lands in the first subset it fits."""

    key = "targeting.split"
    label = _("Split")
    description = _(
        "Divides a population into subsets; with first match a row lands in the first subset it fits."
    )
    Config = SplitConfig
    needs_audience = True

    def outputs(self, config):
        named = ["out"] if config.single_table else [s.code for s in config.subsets]
        return named + (["complement"] if config.complement else [])

    def validate(self, config, node: GraphNode):
        errors = []
        codes = [s.code for s in config.subsets]
        if not codes:
            errors.append(("subsets", _("Add at least one subset.")))
        for i, s in enumerate(config.subsets):
            if not s.code.isidentifier() or s.code in ("out", "complement"):
                errors.append((f"subsets.{i}.code", _("Use letters, digits and underscores.")))
            if codes.count(s.code) > 1:
                errors.append((f"subsets.{i}.code", _("Subset codes must be unique.")))
            if s.limit and (s.limit.value < 0 or (s.limit.kind == "percent" and s.limit.value > 100)):
                errors.append((f"subsets.{i}.limit.value", _("Out of range.")))
            if s.filter and node.input_dimensions and node.input_dimensions[0] not in (None, FILE):
                dim = dimension_by_name(node.input_dimensions[0])
                errors += [
                    (f"subsets.{i}.filter.{p}", m)
                    for p, m in rules.rule_errors(dimension=dim, rule=s.filter, actor=node.reader)
                ]
        return errors

    def execute(self, ctx, inputs, config):
        inp = inputs[0]
        t = inp.table
        cols = [t.c[c] for c in inp.column_names]
        keys = inp.keys
        key_types = [inp.meta_of(k)["type"] for k in inp.key_columns]
        built = []  # (subset, InputTable) in order
        for n, subset in enumerate(config.subsets):
            names = [s.field for s in subset.sort]
            from_, lookup = inp.with_dimension(names)
            conditions = []
            if subset.filter:
                conditions.append(
                    keys_in(
                        keys,
                        rules.rule_select(
                            dimension=inp.dimension,
                            rule=subset.filter,
                            variables=ctx.variables,
                            actor=ctx.reader,
                        ),
                    )
                )
            if config.mode == "first_match":
                conditions += [sa.not_(keys_in_table(keys, b.table, b.key_columns)) for _s, b in built]
            select = sa.select(*cols).select_from(from_).where(*conditions)
            if subset.limit is not None:
                limit = (
                    int(subset.limit.value)
                    if subset.limit.kind == "count"
                    else math.floor(inp.count * subset.limit.value / 100)
                )
                order = (
                    sort_clauses(subset.sort, lookup)
                    if subset.sort
                    else seeded_order(keys, config.seed + n, key_types)
                )
                select = select.order_by(*order, *keys).limit(limit)
            meta = dict(dimension=inp.dimension, key_columns=inp.key_columns, columns=inp.columns)
            if not config.single_table and ctx.is_wired(subset.code):
                count = ctx.emit(subset.code, select, **meta)
                if count == 0 and config.skip_empty:
                    ctx.deactivate(subset.code)
                    built.append((subset, _empty(ctx, inp)))
                else:
                    built.append((subset, ctx.produced_table(subset.code)))
            else:
                built.append((subset, ctx.scratch(select, inp.key_columns, inp.columns)))
        if config.single_table:
            parts = [
                sa.select(
                    *(b.table.c[c] for c in inp.column_names),
                    sa.cast(sa.literal(s.code), sa.String(63)).label(SEGMENT_COLUMN),
                )
                for s, b in built
                if not (config.skip_empty and b.count == 0)
            ]
            columns = [*inp.columns, column_meta(SEGMENT_COLUMN, "string")]
            if parts:
                ctx.emit(
                    "out",
                    sa.union_all(*parts) if len(parts) > 1 else parts[0],
                    dimension=inp.dimension,
                    key_columns=inp.key_columns,
                    columns=columns,
                )
        if config.complement:
            rest = sa.select(*cols).where(
                *(sa.not_(keys_in_table(keys, b.table, b.key_columns)) for _s, b in built)
            )
            count = ctx.emit(
                "complement", rest, dimension=inp.dimension, key_columns=inp.key_columns, columns=inp.columns
            )
            if count == 0 and config.skip_empty:
                ctx.deactivate("complement")
        return Outcome()


def _empty(ctx, inp):
    return ctx.scratch(
        sa.select(*(inp.table.c[c] for c in inp.column_names)).where(sa.false()), inp.key_columns, inp.columns
    )
