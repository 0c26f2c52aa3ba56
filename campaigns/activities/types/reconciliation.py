"""Reconciliation: link a loaded file's rows to a targeting dimension by key pairs or by a rule.

The rule is the reference product's "reconcile by a rule": join conditions comparing a file column to a
dimension field (``equal``, ``equal_ignore_case``, comparisons), combined with AND with any key pairs,
and optionally a rule of the rule builder on the dimension that limits which rows may match (e.g. only
active customers). Everything is one SQL join; values stay in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from django.utils.translation import gettext_lazy as _

from audiences.catalog.selectors import schema_fields, schema_table
from campaigns.activities.base import FILE, ActivityType, Outcome, check_dimension
from campaigns.activities.registry import register
from campaigns.engine import rules
from campaigns.engine.context import dimension_by_name, dimension_key_columns

LINE = "line"


@dataclass
class KeyPair:
    column: str  # a column of the file
    field: str  # a field of the dimension


@dataclass
class JoinCondition:
    column: str  # a column of the file
    operator: str  # a key of OPERATORS
    field: str  # a field of the dimension


OPERATORS = {
    "equal": lambda d, f: d == f,
    "not_equal": lambda d, f: d != f,
    "less": lambda d, f: d < f,
    "less_or_equal": lambda d, f: d <= f,
    "greater": lambda d, f: d > f,
    "greater_or_equal": lambda d, f: d >= f,
    "equal_ignore_case": lambda d, f: sa.func.lower(d) == sa.func.lower(f),
}


@dataclass
class ReconciliationConfig:
    dimension: str
    keys: list[KeyPair] = field(default_factory=list)
    conditions: list[JoinCondition] = field(default_factory=list)  # dimension field <operator> file column
    rule: dict | None = None  # only the dimension rows this rule keeps may match
    keep_unmatched: bool = False


@register
class Reconciliation(ActivityType):
    """Turns file rows into a population of the dimension; each matched member keeps its file columns
    (from its first matching line). Unmatched lines can go out on their own transition."""

    key = "targeting.reconciliation"
    label = _("Reconciliation")
    description = _(
        "Turns file rows into a population of the dimension; each matched member keeps its file "
        "columns (from its first matching line). Unmatched lines can go out on their own transition."
    )
    Config = ReconciliationConfig

    def outputs(self, config):
        return ["out", "unmatched"] if config.keep_unmatched else ["out"]

    def validate(self, config, node):
        errors = check_dimension(config.dimension)
        if node.input_dimensions and node.input_dimensions[0] != FILE:
            errors.append(("", _("Reconciliation reads the rows of a loaded file.")))
        if not config.keys and not config.conditions:
            errors.append(
                ("keys", _("Give at least one pair of file column and dimension field, or a join condition."))
            )
        elif not errors:
            dimension = dimension_by_name(config.dimension)
            fields = schema_fields(dimension.schema)
            errors += [
                (f"keys.{i}.field", _("Unknown field."))
                for i, k in enumerate(config.keys)
                if k.field not in fields
            ]
            for i, c in enumerate(config.conditions):
                if c.field not in fields:
                    errors.append((f"conditions.{i}.field", _("Unknown field.")))
                if c.operator not in OPERATORS:
                    errors.append(
                        (
                            f"conditions.{i}.operator",
                            _("Choose one of: %(ops)s.") % {"ops": ", ".join(OPERATORS)},
                        )
                    )
            if config.rule:
                errors += rules.rule_errors(dimension=dimension, rule=config.rule, actor=node.reader)
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
        on = self._on(ctx, config, dim, d, f, names)
        file_cols = self._flag_matched(
            config, dim, [c for c in inp.columns if c["name"] not in (LINE, *names)]
        )
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
                    sa.select(sa.literal(1)).select_from(d2).where(self._on(ctx, config, dim, d2, f, names))
                )
            )
            ctx.emit("unmatched", unmatched, dimension=None, key_columns=[LINE], columns=inp.columns)
        return Outcome()

    @staticmethod
    def _flag_matched(config, dim, file_cols: list[dict]) -> list[dict]:
        """A file column compared with a personal field holds (or reveals) that field's values: it is
        personal whatever the file's own flag says."""
        fields = schema_fields(dim.schema)
        matched = {k.column for k in config.keys if fields[k.field].is_personal}
        matched |= {c.column for c in config.conditions if fields[c.field].is_personal}
        return [{**c, "personal": True} if c["name"] in matched else c for c in file_cols]

    @staticmethod
    def _on(ctx, config, dim, d, f, names):
        """The join condition: key pairs and conditions (AND), and membership in the rule's rows."""
        parts = [d.c[k.field] == f.c[k.column] for k in config.keys]
        parts += [OPERATORS[c.operator](d.c[c.field], f.c[c.column]) for c in config.conditions]
        if config.rule:
            kept = rules.rule_select(
                dimension=dim, rule=config.rule, variables=ctx.variables, actor=ctx.reader
            ).subquery()
            parts.append(
                sa.exists(
                    sa.select(sa.literal(1)).select_from(kept).where(*(kept.c[n] == d.c[n] for n in names))
                )
            )
        return sa.and_(*parts)
