"""Aggregate functions with GROUP BY and window functions over the sample rows, against Python."""

from __future__ import annotations

import statistics

import pytest

from audiences.tests.expression_fixtures import ROWS, Case, create_sample_table, run_case


def present(rows, name):
    return [row[name] for row in rows if row[name] is not None]


def or_none(function):
    def oracle(values):
        return function(values) if values else None

    return oracle


def joined_in_any_order(rows):
    names = sorted(present(rows, "name"))
    return lambda value: sorted(value.split(";")) == names


def rank_in_group(rows):
    """RowNum(PartitionBy(@grp), OrderBy(Desc(@qty), @id)): qty descending with nulls last, then id."""
    result = {}
    for grp in {row["grp"] for row in rows}:
        members = [row for row in rows if row["grp"] == grp]
        members.sort(key=lambda row: (row["qty"] is None, -(row["qty"] or 0), row["id"]))
        result.update({row["id"]: index for index, row in enumerate(members, start=1)})
    return result


AGGREGATES = [
    Case("Avg(@qty)", lambda rows: or_none(statistics.fmean)(present(rows, "qty")), kind="group"),
    Case("Avg(@ratio)", lambda rows: or_none(statistics.fmean)(present(rows, "ratio")), kind="group"),
    Case("Count(@email)", lambda rows: len(present(rows, "email")), kind="group"),
    Case("CountAll()", len, kind="group"),
    Case("Countdistinct(@active)", lambda rows: len(set(present(rows, "active"))), kind="group"),
    Case("Max(@born)", lambda rows: or_none(max)(present(rows, "born")), kind="group"),
    Case("Min(@name)", lambda rows: or_none(min)(present(rows, "name")), kind="group"),
    Case("Max(@price)", lambda rows: or_none(max)(present(rows, "price")), kind="group"),
    Case(
        "StdDev(@ratio)",
        lambda rows: statistics.stdev(present(rows, "ratio")) if len(present(rows, "ratio")) > 1 else None,
        kind="group",
    ),
    Case("StringAgg(@name, ';')", joined_in_any_order, kind="group"),
    Case("Sum(@qty)", lambda rows: or_none(sum)(present(rows, "qty")), kind="group"),
    Case(
        "Sum(@price) / Count(@price)",
        lambda rows: or_none(lambda v: float(sum(v)) / len(v))(present(rows, "price")),
        kind="group",
    ),
]

WINDOWS = [
    Case("RowNum(PartitionBy(@grp), OrderBy(Desc(@qty), @id))", rank_in_group, kind="table"),
    Case("RowNum(OrderBy(@id))", lambda rows: {row["id"]: row["id"] for row in rows}, kind="table"),
    Case(
        "_Over_(Sum(@qty), PartitionBy(@grp))",
        lambda rows: {
            row["id"]: sum(present([r for r in rows if r["grp"] == row["grp"]], "qty")) for row in rows
        },
        kind="table",
    ),
    Case(
        "_Over_(CountAll(), OrderBy(@id))", lambda rows: {row["id"]: row["id"] for row in rows}, kind="table"
    ),
]

CASES = AGGREGATES + WINDOWS


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[case.expression for case in CASES])
def test_aggregate_and_window_functions_match_python(case):
    # given
    create_sample_table()
    # when / then
    run_case(case)


def test_rows_cover_every_group_shape():
    # given / when
    groups = {row["grp"] for row in ROWS}
    # then: one group has only a single non-null value, so StdDev's null case is exercised
    assert groups == {"a", "b", "c"}
    assert len([r for r in ROWS if r["grp"] == "b" and r["ratio"] is not None]) == 1
