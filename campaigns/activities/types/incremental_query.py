"""Incremental query: a Build audience that only returns rows earlier live runs did not return.

Processed keys are kept per activity in ``oc_wp_<activity id>`` (key columns, run id, time). Live runs
record what they returned; test runs only read it, so they change nothing. ``date_field`` mode keeps
rows whose date is after the latest date among processed rows instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audiences.catalog import database
from audiences.catalog.selectors import schema_fields, schema_table
from campaigns.activities.base import ActivityType, Outcome, check_dimension
from campaigns.activities.registry import register
from campaigns.activities.sqlparts import keys_in
from campaigns.engine import rules
from campaigns.engine.context import SA_TYPES, dimension_by_name, dimension_key_columns


@dataclass
class IncrementalQueryConfig:
    dimension: str
    rule: dict | None = None
    mode: Literal["processed_keys", "date_field"] = "processed_keys"
    retention_days: int = 30
    date_field: str | None = None


def processed_table_name(activity_id: int) -> str:
    return f"oc_wp_{int(activity_id)}"


def processed_table(activity_id: int, keys: list[dict]) -> sa.Table:
    cols = [sa.Column(k["name"], SA_TYPES.get(k["type"] or "", sa.String)(), nullable=False) for k in keys]
    return sa.Table(
        processed_table_name(activity_id),
        sa.MetaData(),
        *cols,
        sa.Column("run_id", sa.BigInteger),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
    )


@register
class IncrementalQuery(ActivityType):
    """For recurring campaigns: each run targets only the newcomers."""

    key = "targeting.incremental_query"
    label = _("Incremental query")
    description = _("For recurring campaigns: each run targets only the newcomers.")
    Config = IncrementalQueryConfig
    min_inputs = 0
    max_inputs = 0

    def validate(self, config, node):
        errors = check_dimension(config.dimension)
        if errors:
            return errors
        dim = dimension_by_name(config.dimension)
        if config.rule:
            errors += rules.rule_errors(dimension=dim, rule=config.rule, actor=node.reader)
        if config.mode == "date_field":
            f = schema_fields(dim.schema).get(config.date_field or "")
            if f is None or f.type not in ("date", "datetime"):
                errors.append(("date_field", _("Choose a date field of the dimension.")))
        if config.retention_days < 1:
            errors.append(("retention_days", _("At least one day.")))
        return errors

    def output_dimension(self, config, node):
        return config.dimension

    def execute(self, ctx, inputs, config):
        dim = dimension_by_name(config.dimension)
        keys = dimension_key_columns(dim)
        names = [k["name"] for k in keys]
        processed = processed_table(ctx.activity.pk, keys)
        database.execute(sa.schema.CreateTable(processed, if_not_exists=True))
        earlier = processed.c.run_id != ctx.run.pk
        select = rules.rule_select(dimension=dim, rule=config.rule, variables=ctx.variables, actor=ctx.reader)
        sub = select.subquery()
        subkeys = [sub.c[n] for n in names]
        if config.mode == "processed_keys":
            seen = sa.select(*(processed.c[n] for n in names)).where(earlier)
            condition = sa.not_(keys_in(subkeys, seen))
        else:
            table = schema_table(dim.schema)
            mark = (
                sa.select(sa.func.max(table.c[config.date_field]))
                .select_from(processed.join(table, sa.and_(*(table.c[n] == processed.c[n] for n in names))))
                .where(earlier)
            )
            current = schema_table(dim.schema).alias("cur")
            newer = sa.select(*(current.c[n] for n in names)).where(
                sa.or_(
                    mark.scalar_subquery().is_(None), current.c[config.date_field] > mark.scalar_subquery()
                )
            )
            condition = keys_in(subkeys, newer)
        result = sa.select(*subkeys).where(condition)
        ctx.emit("out", result, dimension=dim, key_columns=names, columns=keys)
        if not ctx.is_test:
            now = timezone.now()
            database.execute(
                sa.delete(processed).where(
                    sa.or_(
                        processed.c.run_id == ctx.run.pk,
                        processed.c.processed_at < now - dt.timedelta(days=config.retention_days),
                    )
                )
            )
            produced = ctx.produced_table("out")
            if produced is not None:
                src = produced.table
                database.execute(
                    sa.insert(processed).from_select(
                        [*names, "run_id", "processed_at"],
                        sa.select(
                            *(src.c[n] for n in names),
                            sa.literal(ctx.run.pk, sa.BigInteger),
                            sa.literal(now, sa.DateTime(timezone=True)),
                        ),
                    )
                )
        return Outcome()


def processed_tables_drop(activities) -> int:
    """Drop the processed-key tables of those of ``activities`` (Activity rows) that are incremental
    queries; called when they are removed from a graph, change type, or their campaign is deleted.
    Inside the caller's transaction: a rolled-back delete keeps the table (PostgreSQL and SQLite DDL
    is transactional). Returns how many were dropped (if they existed)."""
    ids = [a.pk for a in activities if a.type == IncrementalQuery.key]
    for pk in ids:
        database.execute(
            sa.schema.DropTable(sa.Table(processed_table_name(pk), sa.MetaData()), if_exists=True)
        )
    return len(ids)
