"""What an activity sees while it executes: its input working tables and a way to write outputs.

Activities build SQLAlchemy selects over ``InputTable.table`` (and catalog tables) and hand them to
``ExecutionContext.emit``, which materialises them as the working table of a wired output. Rows stay
in the database; only counts come back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from django.db import connection

from audiences.catalog.models import TargetingDimension
from audiences.catalog.selectors import schema_fields, schema_table
from campaigns.engine import lineage, worktables

SA_TYPES = {
    "string": sa.String,
    "text": sa.Text,
    "enum": sa.String,
    "integer": sa.BigInteger,
    "bigint": sa.BigInteger,
    "decimal": sa.Numeric,
    "float": sa.Float,
    "boolean": sa.Boolean,
    "date": sa.Date,
    "datetime": sa.DateTime,
}


def column_meta(name: str, type_key: str | None, personal: bool = False) -> dict:
    return {"name": name, "type": type_key, "personal": personal}


# Catalog reads memoised per run (targeting dimensions by name, a schema's fields): a run reads the
# catalog as it found it at its first read in this process, instead of once per task and per call.
# Set by the executor around one task; outside a task (validation, admin) every call reads the database.
_run_memo: ContextVar[dict | None] = ContextVar("oc_campaign_run_memo", default=None)
_memos: OrderedDict[tuple, dict] = OrderedDict()
_memos_lock = threading.Lock()


@contextmanager
def run_memo(run):
    """Memoise catalog reads for ``run`` (keyed by id and start time: a restart reads afresh)."""
    key = (run.pk, run.started_at)
    with _memos_lock:
        memo = _memos.pop(key, None) or {}
        _memos[key] = memo
        while len(_memos) > 32:
            _memos.popitem(last=False)
    token = _run_memo.set(memo)
    try:
        yield memo
    finally:
        _run_memo.reset(token)


def _memoised(key: tuple, load):
    memo = _run_memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def dimension_by_name(name: str) -> TargetingDimension:
    return _memoised(
        ("dimension", name),
        lambda: TargetingDimension.objects.select_related("schema").get(schema__name=name),
    )


def _fields(dimension: TargetingDimension) -> dict:
    return _memoised(("fields", dimension.schema_id), lambda: schema_fields(dimension.schema))


def dimension_key_columns(dimension: TargetingDimension) -> list[dict]:
    """The key columns of a dimension's population: its primary-key fields, by field name."""
    return [column_meta(f.name, f.type, f.is_personal) for f in _fields(dimension).values() if f.primary_key]


def field_meta(dimension: TargetingDimension, name: str) -> dict | None:
    found = _fields(dimension).get(name)
    return column_meta(found.name, found.type, found.is_personal) if found else None


@dataclass
class InputTable:
    """One input population: a working table with typed columns, its dimension and key."""

    source_key: str
    name: str
    count: int
    dimension: TargetingDimension | None
    key_columns: list[str]
    columns: list[dict]
    table: sa.Table = field(init=False)

    def __post_init__(self):
        cols = [
            sa.Column(
                c["name"],
                SA_TYPES.get(c["type"] or "", sa.String)(),
                info={"personal": bool(c.get("personal", True))},  # unknown: personal (lineage)
            )
            for c in self.columns
        ]
        self.table = sa.Table(self.name, sa.MetaData(), *cols)

    @property
    def keys(self) -> list[sa.Column]:
        return [self.table.c[k] for k in self.key_columns]

    @property
    def column_names(self) -> list[str]:
        return [c["name"] for c in self.columns]

    def dimension_table(self) -> sa.Table:
        return schema_table(self.dimension.schema).alias("d")

    def with_dimension(
        self, names: list[str], *, force: bool = False
    ) -> tuple[sa.FromClause, dict[str, sa.ColumnElement]]:
        """A FROM joining the dimension's table when ``names`` asks for fields not in the working table,
        and the column for each name (working-table columns win)."""
        lookup: dict[str, sa.ColumnElement] = {c: self.table.c[c] for c in self.column_names}
        missing = [n for n in names if n not in lookup]
        if (not missing and not force) or self.dimension is None:
            return self.table, lookup
        dim = self.dimension_table()
        on = sa.and_(*(dim.c[k] == self.table.c[k] for k in self.key_columns))
        for name in missing:
            if name in dim.c:
                lookup[name] = dim.c[name]
        return self.table.join(dim, on), lookup

    def meta_of(self, name: str) -> dict:
        for c in self.columns:
            if c["name"] == name:
                return c
        if self.dimension is not None:
            found = field_meta(self.dimension, name)
            if found:
                return found
        return column_meta(name, None)


@dataclass
class Produced:
    name: str
    count: int
    dimension: TargetingDimension | None
    key_columns: list[str]
    columns: list[dict]


class ExecutionContext:
    """Per-task services for an activity: where outputs go, variables, test or live, SQL log."""

    def __init__(self, *, run, task, activity, wired: dict[str, Any]):
        self.run = run
        self.task = task
        self.activity = activity
        self.wired = wired  # output name -> Transition
        self.produced: dict[str, Produced] = {}
        self.statements: list[str] = []
        self._scratch: list[str] = []

    @property
    def retried(self) -> bool:
        """Whether an earlier attempt of this task ran (only then can its tables already exist)."""
        return self.task.attempt > 1

    @property
    def is_test(self) -> bool:
        return self.run.is_test

    @property
    def reader(self):
        """Whose permissions resolve saved audiences and filters: the campaign's owner."""
        return self.run.campaign.owner

    @property
    def variables(self) -> dict:
        return dict(self.run.variables or {})

    @property
    def vendor(self) -> str:
        return connection.vendor

    def log_sql(self, sql: str) -> None:
        self.statements.append(sql)

    def is_wired(self, output: str) -> bool:
        return output in self.wired

    def emit(
        self, output: str, select, *, dimension, key_columns: list[str], columns: list[dict]
    ) -> int | None:
        """Materialise ``select`` as the working table of ``output``; None when nothing is wired to it.
        A column is personal when the activity says so or when it derives from a personal column
        (``campaigns.engine.lineage``)."""
        transition = self.wired.get(output)
        if transition is None:
            return None
        name = worktables.working_table_name(self.run.pk, transition.pk)
        columns = lineage.flag_columns(columns, select)
        count = worktables.create(name, select, key_columns, log=self.log_sql, replace=self.retried)
        self.produced[output] = Produced(name, count, dimension, key_columns, columns)
        return count

    def adopt(self, output: str, name: str, *, dimension, key_columns: list[str], columns: list[dict]) -> int:
        """Register a table the activity filled itself (Load file) as the working table of ``output``."""
        count = worktables.finish(name, key_columns, log=self.log_sql)
        self.produced[output] = Produced(name, count, dimension, key_columns, columns)
        return count

    def activate_empty(self, output: str) -> None:
        """Activate ``output`` as a signal that carries no population (no working table)."""
        if output in self.wired:
            self.produced[output] = Produced("", 0, None, [], [])

    def deactivate(self, output: str) -> None:
        """Do not activate ``output`` (e.g. an empty subset with "skip empty"): its table is dropped."""
        produced = self.produced.pop(output, None)
        if produced is not None and produced.name:
            worktables.drop(produced.name)

    def scratch(self, select, key_columns: list[str], columns: list[dict]) -> InputTable:
        """An intermediate table of this task (dropped when the task ends)."""
        name = worktables.scratch_table_name(self.task.pk, len(self._scratch))
        columns = lineage.flag_columns(columns, select)
        count = worktables.create(name, select, key_columns, log=self.log_sql, replace=self.retried)
        self._scratch.append(name)
        return InputTable(self.activity.key, name, count, None, key_columns, columns)

    def produced_table(self, output: str) -> InputTable | None:
        p = self.produced.get(output)
        if p is None:
            return None
        return InputTable(self.activity.key, p.name, p.count, p.dimension, p.key_columns, p.columns)

    def cleanup(self) -> None:
        for name in self._scratch:
            worktables.drop(name)
        self._scratch.clear()

    def drop_stale_scratch(self, upto: int = 8) -> None:
        """Scratch tables an earlier attempt may have left. They are created inside the task's
        transaction, so a killed attempt leaves none; only a retried attempt checks, cheaply."""
        if self.task.attempt <= 1:
            return
        for n in range(upto):
            worktables.drop(worktables.scratch_table_name(self.task.pk, n))


def pass_through(ctx: ExecutionContext, inp: InputTable | None, output: str = "out") -> int | None:
    """Copy an input population to an output unchanged (Fork branches, Wait, test-run Save audience).
    With no population (a start Fork), the output is activated as a signal without a table."""
    if inp is None:
        ctx.activate_empty(output)
        return None
    select = sa.select(*(inp.table.c[c] for c in inp.column_names))
    return ctx.emit(output, select, dimension=inp.dimension, key_columns=inp.key_columns, columns=inp.columns)
