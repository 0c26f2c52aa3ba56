"""A real table with awkward rows, and helpers to evaluate expressions on it through Django's connection.

Shared by the expression and function tests; every function is run on these rows and compared with an
independent Python computation (see test_functions_*.py).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from django.db import connection

from audiences.catalog.database import compile_statement, fetch_all
from audiences.query import TableResolver, compile_expression
from audiences.query.types import python_value

metadata = sa.MetaData()
SAMPLE = sa.Table(
    "oc_expression_sample",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("grp", sa.String(10)),
    sa.Column("name", sa.String(100)),
    sa.Column("email", sa.String(200)),
    sa.Column("note", sa.Text),
    sa.Column("qty", sa.BigInteger),
    sa.Column("price", sa.Numeric(10, 2)),
    sa.Column("ratio", sa.Float),
    sa.Column("active", sa.Boolean),
    sa.Column("born", sa.Date),
    sa.Column("seen_at", sa.DateTime(timezone=True)),
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("flags", sa.BigInteger),
    sa.Column("code", sa.String(40)),
)

D = decimal.Decimal


def _at(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


COLUMNS = [c.name for c in SAMPLE.columns]
ROWS: list[dict[str, Any]] = [
    dict(
        id=1,
        grp="a",
        name="alice smith",
        email="Alice@Example.com",
        note="line one\nline two\nline three",
        qty=3,
        price=D("12.50"),
        ratio=0.25,
        active=True,
        born=dt.date(1990, 5, 17),
        seen_at=_at(2024, 1, 31, 10, 15, 42),
        lon=2.3522,
        lat=48.8566,
        flags=5,
        code="2024-01-31 10:00:00",
    ),
    dict(
        id=2,
        grp="a",
        name="BOB o'neil-jones",
        email="bob@mail.example.org",
        note="single",
        qty=-7,
        price=D("0.99"),
        ratio=-1.75,
        active=False,
        born=dt.date(2000, 2, 29),
        seen_at=_at(2023, 12, 31, 23, 59, 59),
        lon=-0.1276,
        lat=51.5072,
        flags=0,
        code="2023-02-28",
    ),
    dict(
        id=3,
        grp="b",
        name="  padded  ",
        email="no-at-sign",
        note="",
        qty=0,
        price=D("100.00"),
        ratio=3.5,
        active=True,
        born=dt.date(1975, 12, 31),
        seen_at=_at(2024, 2, 29, 0, 0, 0),
        lon=13.405,
        lat=52.52,
        flags=12,
        code="not a date",
    ),
    dict(
        id=4,
        grp="b",
        name="x",
        email=None,
        note=None,
        qty=None,
        price=None,
        ratio=None,
        active=None,
        born=None,
        seen_at=None,
        lon=None,
        lat=None,
        flags=None,
        code=None,
    ),
    dict(
        id=5,
        grp="c",
        name="ZoE 2nd-place",
        email="z@z.io",
        note="a\nb",
        qty=42,
        price=D("3.33"),
        ratio=2.0,
        active=False,
        born=dt.date(2024, 1, 31),
        seen_at=_at(2024, 7, 4, 12, 0, 0),
        lon=151.2093,
        lat=-33.8688,
        flags=255,
        code="2024-07-04T08:30",
    ),
    dict(
        id=6,
        grp="c",
        name="",
        email="a@b@c.com",
        note="x",
        qty=15,
        price=D("-4.75"),
        ratio=0.0,
        active=True,
        born=dt.date(1969, 7, 20),
        seen_at=_at(1969, 7, 20, 20, 17, 40),
        lon=-74.006,
        lat=40.7128,
        flags=8,
        code="1999-12-31 23:59",
    ),
]


def create_sample_table() -> None:
    """Create and fill the table in the test database (inside the test's transaction)."""
    with connection.cursor() as cursor:
        sql, params = compile_statement(sa.schema.CreateTable(SAMPLE), connection.alias)
        cursor.execute(sql, params)
        for row in ROWS:
            values = dict(row)
            if connection.vendor == "sqlite" and values["seen_at"] is not None:
                values["seen_at"] = values["seen_at"].replace(tzinfo=None)  # Django stores naive UTC text
            sql, params = compile_statement(sa.insert(SAMPLE).values(**values), connection.alias)
            cursor.execute(sql, params)


def resolver() -> TableResolver:
    return TableResolver(SAMPLE)


def compile_on_connection(text: str, variables=None):
    return compile_expression(text, resolver=resolver(), dialect=connection.vendor, variables=variables)


def evaluate_rows(text: str, variables=None) -> dict[int, Any]:
    """The expression's value for each row, keyed by id."""
    compiled = compile_on_connection(text, variables)
    statement = sa.select(SAMPLE.c.id, compiled.clause).order_by(SAMPLE.c.id)
    return {
        row_id: python_value(raw, compiled.type) for row_id, raw in fetch_all(statement, connection.alias)
    }


def evaluate_groups(text: str) -> dict[str, Any]:
    """The (aggregate) expression's value for each group, keyed by grp."""
    compiled = compile_on_connection(text)
    statement = sa.select(SAMPLE.c.grp, compiled.clause).group_by(SAMPLE.c.grp).order_by(SAMPLE.c.grp)
    return {grp: python_value(raw, compiled.type) for grp, raw in fetch_all(statement, connection.alias)}


@dataclass(frozen=True)
class Case:
    """One function test: an expression, a Python oracle, and how to evaluate and compare it.

    kind: "row" (oracle(row) per row), "group" (oracle(rows of a group) per grp), "table" (oracle(all rows)
    -> {id: value}), "check" (oracle(value) -> bool per row, for random values), "values" (oracle(all values)
    -> bool, for row numbers in no particular order). ``now`` oracles take the
    current UTC time as a second argument and pass if they match with the time before or after the query.
    """

    expression: str
    oracle: Any
    kind: str = "row"
    now: bool = False
    tolerance: float = 1e-9


def same(expected, actual, tolerance: float) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, float | decimal.Decimal) or isinstance(actual, float | decimal.Decimal):
        return math.isclose(float(expected), float(actual), rel_tol=tolerance, abs_tol=tolerance)
    return type(expected) is type(actual) and expected == actual


def run_case(case: Case) -> None:
    """Evaluate a case on the database and assert each value equals the oracle's."""
    before = dt.datetime.now(dt.UTC)
    if case.kind == "group":
        actual = evaluate_groups(case.expression)
        groups = sorted({row["grp"] for row in ROWS})
        expected = {grp: case.oracle([r for r in ROWS if r["grp"] == grp]) for grp in groups}
        mismatches = {}
        for grp, wanted in expected.items():
            ok = (
                wanted(actual.get(grp)) if callable(wanted) else same(wanted, actual.get(grp), case.tolerance)
            )
            if not ok:
                mismatches[grp] = (wanted, actual.get(grp))
        assert not mismatches, f"{case.expression}: expected vs actual by group {mismatches}"
        return
    actual = evaluate_rows(case.expression)
    after = dt.datetime.now(dt.UTC)
    if case.kind == "values":
        assert case.oracle(list(actual.values())), f"{case.expression}: values {actual}"
        return
    if case.kind == "check":
        bad = {k: v for k, v in actual.items() if not case.oracle(v)}
        assert not bad, f"{case.expression}: values failing the check {bad}"
        return
    if case.kind == "table":
        expected = case.oracle(ROWS)
        bad = {
            k: (expected[k], actual[k]) for k in expected if not same(expected[k], actual[k], case.tolerance)
        }
        assert not bad, f"{case.expression}: expected vs actual by id {bad}"
        return
    bad = {}
    for row in ROWS:
        candidates = (
            [case.oracle(row, moment) for moment in (before, after)] if case.now else [case.oracle(row)]
        )
        if not any(same(candidate, actual[row["id"]], case.tolerance) for candidate in candidates):
            bad[row["id"]] = (candidates[0], actual[row["id"]])
    assert not bad, f"{case.expression}: expected vs actual by id {bad}"
