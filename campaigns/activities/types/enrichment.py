"""Enrichment: add columns to a population: fields through N-1 links, the first N related rows of a
1-N link as numbered columns, aggregates over a 1-N link, or columns of another inbound population."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.catalog.selectors import schema_fields, schema_links, schema_table
from campaigns.activities.base import ActivityType, Outcome
from campaigns.activities.linkpaths import check_paths, follow
from campaigns.activities.registry import register
from campaigns.activities.sqlparts import SortField, sort_clauses
from campaigns.engine.context import column_meta, dimension_by_name


@dataclass
class FieldColumn:
    name: str  # the new column
    path: str  # a field of the dimension, or through N-1 links: "customer.email"


@dataclass
class RelatedRows:
    link: str  # a 1-N link of the dimension, e.g. "wishlist_items"
    fields: list[str]
    count: int = 1
    order_by: list[SortField] = field(default_factory=list)
    prefix: str = ""  # columns are <prefix><n>_<field>; default: the link name


@dataclass
class Aggregate:
    name: str
    link: str
    function: Literal["count", "sum", "avg", "min", "max"]
    field: str | None = None


@dataclass
class EnrichmentConfig:
    fields: list[FieldColumn] = field(default_factory=list)
    related: list[RelatedRows] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    join_columns: list[str] = field(default_factory=list)  # from the second inbound population


@register
class Enrichment(ActivityType):
    """Adds data for personalisation or later filters; the population itself is unchanged."""

    key = "targeting.enrichment"
    label = _("Enrichment")
    description = _("Adds data for personalisation or later filters; the population itself is unchanged.")
    Config = EnrichmentConfig
    max_inputs = 2
    needs_audience = True

    def validate(self, config, node):
        errors = []
        names = [f.name for f in config.fields] + [a.name for a in config.aggregates]
        if any(not n.isidentifier() or n != n.lower() for n in names) or len(set(names)) != len(names):
            errors.append(("fields", _("New column names must be distinct lower-case identifiers.")))
        if config.join_columns and len(node.inputs) != 2:
            errors.append(("join_columns", _("Joining columns needs a second inbound population.")))
        for i, r in enumerate(config.related):
            if r.count < 1 or r.count > 20:
                errors.append((f"related.{i}.count", _("Between 1 and 20 rows.")))
        source = node.input_dimensions[0] if node.input_dimensions else None
        if source and not source.startswith("@"):
            errors += check_paths(config, dimension_by_name(source).schema)
        return errors

    def execute(self, ctx, inputs, config):
        inp = inputs[0]
        t = inp.table
        keys = inp.keys
        dim_schema = inp.dimension.schema
        from_ = t
        columns = [t.c[c] for c in inp.column_names]
        meta = list(inp.columns)
        for n, f in enumerate(config.fields):
            from_, col, fmeta = follow(from_, t, inp, dim_schema, f.path, n)
            columns.append(col.label(f.name))
            meta.append(column_meta(f.name, fmeta.type, fmeta.is_personal))
        for n, r in enumerate(config.related):
            side = schema_links(dim_schema)[r.link]
            child = schema_table(side.to_schema).alias(f"r{n}")
            child_fields = schema_fields(side.to_schema)
            fk = [child.c[b.name] for _a, b in side.keys]
            order = sort_clauses(r.order_by, {c.key: c for c in child.c}) or [c for c in child.primary_key]
            source, fk = _population_join(inp, side, child, f"wr{n}")
            rn = sa.func.row_number().over(partition_by=fk, order_by=order).label("oc_rn")
            ranked = sa.select(
                *(c.label(f"k{i}") for i, c in enumerate(fk)), *(child.c[f] for f in r.fields), rn
            ).select_from(source)
            ranked = ranked.subquery(f"rk{n}")
            prefix = r.prefix or r.link
            pivot_cols = []
            for i in range(1, r.count + 1):
                for fname in r.fields:
                    name = f"{prefix}{i}_{fname}"
                    value = sa.func.max(sa.case((ranked.c.oc_rn == i, ranked.c[fname])))
                    pivot_cols.append(value.label(name))
                    fm = child_fields[fname]
                    meta.append(column_meta(name, fm.type, fm.is_personal))
            group = [ranked.c[f"k{i}"] for i in range(len(fk))]
            pivot = (
                sa.select(*group, *pivot_cols)
                .where(ranked.c.oc_rn <= r.count)
                .group_by(*group)
                .subquery(f"p{n}")
            )
            from_ = from_.outerjoin(pivot, sa.and_(*(pivot.c[f"k{i}"] == k for i, k in enumerate(keys))))
            columns += [pivot.c[c.name] for c in pivot_cols]
        for n, a in enumerate(config.aggregates):
            side = schema_links(dim_schema)[a.link]
            child = schema_table(side.to_schema).alias(f"a{n}")
            fk = [child.c[b.name] for _a, b in side.keys]
            func = (
                sa.func.count() if a.function == "count" else getattr(sa.func, a.function)(child.c[a.field])
            )
            source, fk = _population_join(inp, side, child, f"wa{n}")
            agg = sa.select(*(c.label(f"k{i}") for i, c in enumerate(fk)), func.label("v"))
            agg = agg.select_from(source).group_by(*fk).subquery(f"ag{n}")
            from_ = from_.outerjoin(agg, sa.and_(*(agg.c[f"k{i}"] == k for i, k in enumerate(keys))))
            value = sa.func.coalesce(agg.c.v, 0) if a.function == "count" else agg.c.v
            columns.append(value.label(a.name))
            ftype = "bigint" if a.function == "count" else schema_fields(side.to_schema)[a.field].type
            meta.append(column_meta(a.name, "float" if a.function == "avg" else ftype))
        if config.join_columns and len(inputs) > 1:
            other = inputs[1]
            o = other.table.alias("o")
            from_ = from_.outerjoin(o, sa.and_(*(o.c[k] == t.c[k] for k in inp.key_columns)))
            for c in config.join_columns:
                columns.append(o.c[c].label(c))
                meta.append(other.meta_of(c))
        ctx.emit(
            "out",
            sa.select(*columns).select_from(from_),
            dimension=inp.dimension,
            key_columns=inp.key_columns,
            columns=meta,
        )
        return Outcome()


def _population_join(inp, side, child, alias: str):
    """The related rows of the population only, as a join from the working table (the database then
    hashes the population and scans the related table once, instead of probing it row by row).
    Returns the FROM and the population's key columns, by which related rows are grouped."""
    w = inp.table.alias(alias)
    names = [a.name for a, _b in side.keys]
    if all(name in inp.column_names for name in names):
        via = {name: w.c[name] for name in names}
        source = w
    else:  # the link leaves from non-key fields: go through the dimension's row
        d = schema_table(side.from_schema).alias(f"{alias}d")
        source = w.join(d, sa.and_(*(d.c[k] == w.c[k] for k in inp.key_columns)))
        via = {name: d.c[name] for name in names}
    on = sa.and_(*(via[a.name] == child.c[b.name] for a, b in side.keys))
    return source.join(child, on), [w.c[k] for k in inp.key_columns]
