"""Checking and merging a staged load: set-based statements built from ``schema_table()`` only.

1. ``plan_for`` maps the file's columns to fields (by name or an explicit mapping) and refuses unknown
   columns, missing keys and missing required columns before any row is read.
2. ``collect_rejects`` writes every bad value into the staging ``rejects`` table: one statement per
   column (missing, wrong type, too long, not allowed), one for bad change types, one for keys that appear
   on several rows.
3. ``merge`` counts (new keys, existing keys, stale versions) and then runs ONE
   ``INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE ... WHERE target.version < excluded.version`` and
   ONE ``DELETE ... WHERE EXISTS (staged 'd' row with that key)``.

The caller runs 2 and 3 in one transaction, so a refused load leaves the table exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from audiences.catalog import database
from audiences.catalog.models import Schema
from audiences.catalog.selectors import schema_fields, schema_table
from audiences.ingestion.converters import FieldSpec, sql_invalid_reason, sql_present, sql_typed
from audiences.ingestion.source import CHANGE_COLUMN
from audiences.ingestion.staging import Staging, quoted

OPERATIONS = ("u", "d")


@dataclass(frozen=True)
class Reject:
    row_number: int
    column: str
    value: str
    reason: str


@dataclass
class LoadResult:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: int = 0
    rejected: int = 0
    rejects: list[Reject] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            k: getattr(self, k) for k in ("rows", "inserted", "updated", "deleted", "skipped", "rejected")
        }


class RejectedLoad(Exception):
    """More rejected rows than the caller accepts: nothing was written."""

    def __init__(self, result: LoadResult):
        super().__init__(result.rejected)
        self.result = result


@dataclass(frozen=True)
class LoadPlan:
    """Which staged column feeds which field; built before any row is read."""

    schema: Schema
    table: sa.Table
    columns: list[str]  # per file column: a field name, or CHANGE_COLUMN
    specs: dict[str, FieldSpec]
    key: list[str]
    version: str | None
    required: set[str]

    def staged(self, staging: Staging, name: str) -> sa.Column:
        return staging.stage.c[f"c{self.columns.index(name)}"]

    @property
    def fields(self) -> list[str]:
        return [c for c in self.columns if c != CHANGE_COLUMN]


def plan_for(
    schema: Schema, header: list[str], mapping: dict[str, str] | None = None, *, key="file"
) -> LoadPlan:
    """Map ``header`` to the schema's fields. ``mapping`` (column -> field) overrides names it lists."""
    if not schema.is_managed:
        raise ValidationError({"schema": _("An external schema is read only: the platform never loads it.")})
    mapping = mapping or {}
    fields = schema_fields(schema)
    unknown_mapped = sorted(f for f in mapping.values() if f not in fields and f != CHANGE_COLUMN)
    if unknown_mapped:
        raise ValidationError(
            {
                "mapping": _("“%(schema)s” has no field %(fields)s.")
                % {"schema": schema.name, "fields": ", ".join(unknown_mapped)}
            }
        )
    missing_columns = sorted(set(mapping) - set(header))
    if missing_columns:
        raise ValidationError({"mapping": _("The file has no column %s.") % ", ".join(missing_columns)})
    columns = [mapping.get(c, c) for c in header]
    unknown = [c for c in columns if c not in fields and c != CHANGE_COLUMN]
    if unknown:
        raise ValidationError(
            {
                key: _("Unknown column(s) %(columns)s: “%(schema)s” has the fields %(fields)s (or map them).")
                % {"columns": ", ".join(unknown), "schema": schema.name, "fields": ", ".join(fields)}
            }
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise ValidationError({key: _("Several columns feed %s.") % ", ".join(repeated)})
    key_fields = [f.name for f in fields.values() if f.primary_key]
    required = {f.name for f in fields.values() if f.required}
    absent = [name for name in [*key_fields, *sorted(required - set(key_fields))] if name not in columns]
    if absent:
        raise ValidationError({key: _("Missing column(s) for required field(s): %s.") % ", ".join(absent)})
    version = next((f.name for f in fields.values() if f.is_version), None)
    return LoadPlan(
        schema=schema,
        table=schema_table(schema),
        columns=columns,
        specs={name: FieldSpec.of(fields[name]) for name in columns if name != CHANGE_COLUMN},
        key=key_fields,
        version=version if version in columns else None,
        required=required,
    )


# --- Expressions over the staging table ---------------------------------------------------------------
def _operation(plan: LoadPlan, staging: Staging):
    if CHANGE_COLUMN not in plan.columns:
        return None
    return sa.func.lower(sa.func.trim(plan.staged(staging, CHANGE_COLUMN)))


def _is_upsert(plan, staging):
    op = _operation(plan, staging)
    return sa.true() if op is None else sa.func.coalesce(op, "").in_(["", "u"])


def _is_delete(plan, staging):
    op = _operation(plan, staging)
    return sa.false() if op is None else op == "d"


def typed(plan: LoadPlan, staging: Staging, name: str, *, checked: bool = False):
    cell, spec, type_ = plan.staged(staging, name), plan.specs[name], plan.table.c[name].type
    return sql_typed(cell, spec, connection.vendor, type_, checked=checked)


def _not_rejected(staging: Staging):
    return ~sa.exists().where(staging.rejects.c.row_no == staging.stage.c.row_no)


def _insert_rejects(staging: Staging, select: sa.Select) -> None:
    rejects = staging.rejects
    database.execute(sa.insert(rejects).from_select(["row_no", "column_name", "value", "reason"], select))


def _kept(value):
    """A rejected value as stored: its first OC_INGEST_REJECT_VALUE_CHARS characters, never a whole huge
    cell (a 10 MB cell would be kept, shown to every reader, and crashed SQLite's staging past 128 KiB)."""
    return sa.func.substr(value, 1, int(settings.OC_INGEST_REJECT_VALUE_CHARS))


# --- 2. rejects ---------------------------------------------------------------------------------------
def _reasons(plan: LoadPlan, cells) -> dict[str, sa.ColumnElement]:
    """Per file column, the reason its value is refused (NULL when fine), over columns ``c0..cN``."""
    vendor, reasons = connection.vendor, {}
    op = (
        sa.func.lower(sa.func.trim(cells[f"c{plan.columns.index(CHANGE_COLUMN)}"]))
        if (CHANGE_COLUMN in plan.columns)
        else None
    )
    deleting = sa.false() if op is None else op == "d"
    for index, name in enumerate(plan.columns):
        cell = cells[f"c{index}"]
        if name == CHANGE_COLUMN:
            bad_op = sa.func.coalesce(op, "").not_in(["", *OPERATIONS])
            reasons[name] = sa.case((bad_op, _("Use u (upsert) or d (delete).")), else_=sa.null())
            continue
        spec, is_key = plan.specs[name], name in plan.key
        required = sa.or_(sa.literal(is_key), sa.and_(sa.literal(name in plan.required), ~deleting))
        reasons[name] = sa.case(
            (sa.and_(sa.literal(not is_key), deleting), sa.null()),
            (
                sql_present(cell, spec).is_(None),
                sa.case((required, _("A value is required.")), else_=sa.null()),
            ),
            else_=sql_invalid_reason(cell, spec, vendor),
        )
    return reasons


def collect_rejects(plan: LoadPlan, staging: Staging) -> None:
    """One scan finds the rows with any bad value; only those few are then split into rejects."""
    stage = staging.stage
    found = _reasons(plan, stage.c)
    bad = sa.select(stage).where(sa.or_(*(r.is_not(None) for r in found.values()))).cte("bad")
    reasons = _reasons(plan, bad.c)
    parts = [
        sa.select(bad.c.row_no, sa.literal(name), _kept(bad.c[f"c{i}"]), reasons[name]).where(
            reasons[name].is_not(None)
        )
        for i, name in enumerate(plan.columns)
    ]
    _insert_rejects(staging, sa.union_all(*parts) if len(parts) > 1 else parts[0])
    _reject_duplicate_keys(plan, staging)


def _row_list(row_no):
    """Row numbers of a group as text ("2, 5")."""
    as_text = sa.cast(row_no, sa.Text)
    if connection.vendor == "postgresql":
        return sa.func.string_agg(as_text, postgresql.aggregate_order_by(sa.literal_column("', '"), row_no))
    return sa.func.group_concat(as_text, ", ")


def _reject_duplicate_keys(plan: LoadPlan, staging: Staging) -> None:
    stage = staging.stage
    checked = [typed(plan, staging, name, checked=True) for name in plan.key]
    rejects = staging.rejects
    key_ok = ~sa.exists().where(rejects.c.row_no == stage.c.row_no, rejects.c.column_name.in_(plan.key))
    repeated = sa.select(*checked).where(key_ok).group_by(*checked).having(sa.func.count() > 1)
    if not database.fetch_all(repeated.limit(1)):
        return  # the usual case: one cheap grouping, no join back
    keys = [typed(plan, staging, name).label(f"k{i}") for i, name in enumerate(plan.key)]
    groups = (
        sa.select(*keys, _row_list(stage.c.row_no).label("rows"))
        .where(*(k.is_not(None) for k in keys))
        .group_by(*keys)
        .having(sa.func.count() > 1)
        .subquery()
    )
    value = plan.staged(staging, plan.key[0])
    for name in plan.key[1:]:
        value = value + ", " + plan.staged(staging, name)
    prefix = _("The same key is on rows %s.") % "@@"
    before, after = prefix.split("@@")
    joined = sa.and_(*(typed(plan, staging, name) == groups.c[f"k{i}"] for i, name in enumerate(plan.key)))
    _insert_rejects(
        staging,
        sa.select(
            stage.c.row_no,
            sa.literal(", ".join(plan.key)),
            _kept(value),
            sa.literal(before) + groups.c.rows + after,
        ).select_from(stage.join(groups, joined)),
    )


def rejected_rows(staging: Staging) -> int:
    return database.fetch_value(sa.select(sa.func.count(sa.distinct(staging.rejects.c.row_no))))


def stored_rejects(staging: Staging) -> list[Reject]:
    """The first rejects, in row order (a report for people, capped by OC_INGEST_MAX_STORED_REJECTS)."""
    r = staging.rejects.c
    rows = database.fetch_all(
        sa.select(r.row_no, r.column_name, r.value, r.reason)
        .order_by(r.row_no, r.column_name)
        .limit(settings.OC_INGEST_MAX_STORED_REJECTS)
    )
    return [Reject(int(n), c or "", v if v is not None else "", reason) for n, c, v, reason in rows]


# --- 3. merge -----------------------------------------------------------------------------------------
def update_condition(plan: LoadPlan, target, incoming):
    if plan.version is None:
        return sa.true()
    current, new = target.c[plan.version], incoming[plan.version]
    return sa.or_(current.is_(None), current < new)


def merge(plan: LoadPlan, staging: Staging, result: LoadResult) -> LoadResult:
    """Count, then write one INSERT ... ON CONFLICT DO UPDATE and one DELETE (caller's transaction)."""
    stage, table = staging.stage, plan.table
    valid = _not_rejected(staging) if result.rejected else sa.true()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # concurrent loads of one table queue up; readers go on
            cursor.execute(f"LOCK TABLE {quoted(table)} IN SHARE ROW EXCLUSIVE MODE")
    upserts = sa.and_(_is_upsert(plan, staging), valid)
    deletes = sa.and_(_is_delete(plan, staging), valid)
    same_key = sa.and_(*(table.c[name] == typed(plan, staging, name) for name in plan.key))
    incoming = {name: typed(plan, staging, name, checked=True) for name in plan.fields}
    newer = update_condition(plan, table, {n: typed(plan, staging, n) for n in plan.fields})
    to_upsert = database.fetch_value(sa.select(sa.func.count()).select_from(stage).where(upserts))
    existing = stale = 0
    if to_upsert and database.fetch_all(sa.select(sa.literal(1)).select_from(table).limit(1)):
        existing, stale = database.fetch_all(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((newer, 0), else_=1)), 0))
            .select_from(stage.join(table, same_key))
            .where(upserts)
        )[0]
    to_delete = database.fetch_value(sa.select(sa.func.count()).select_from(stage).where(deletes))

    if to_upsert:
        insert = (postgresql if connection.vendor == "postgresql" else sqlite).insert(table)
        source = (
            sa.select(*(incoming[name] for name in plan.fields)).select_from(stage).where(upserts, sa.true())
        )
        statement = insert.from_select([table.c[name] for name in plan.fields], source)
        updatable = [name for name in plan.fields if name not in plan.key]
        if updatable:
            statement = statement.on_conflict_do_update(
                index_elements=[table.c[name] for name in plan.key],
                set_={name: statement.excluded[name] for name in updatable},
                where=update_condition(plan, table, statement.excluded),
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=[table.c[name] for name in plan.key])
        if not existing:  # nothing to conflict with (counted under the lock): a plain INSERT is faster
            statement = insert.from_select([table.c[name] for name in plan.fields], source)
        database.execute(statement)
    deleted = 0
    if to_delete:
        matching = sa.select(sa.literal(1)).select_from(stage).where(deletes, same_key)
        deleted = database.execute(sa.delete(table).where(matching.exists()))
    result.inserted = to_upsert - existing
    result.updated = existing - stale
    result.deleted = deleted
    result.skipped = stale + (to_delete - deleted)
    return result


def load_staged(plan: LoadPlan, staging: Staging, *, max_rejects: int | None) -> LoadResult:
    """Check and merge what is staged. Raises ``RejectedLoad`` (nothing written) past the allowance."""
    result = LoadResult(rows=staging.rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # JIT-compiling the wide CASE expressions of the checks costs more than it saves (measured:
            # 2x slower on 1M rows); SET LOCAL ends with this transaction.
            cursor.execute("SET LOCAL jit = off")
    collect_rejects(plan, staging)
    result.rejected = rejected_rows(staging)
    if result.rejected:
        result.rejects = stored_rejects(staging)
        if result.rejected > (max_rejects or 0):
            raise RejectedLoad(result)
    return merge(plan, staging, result)
