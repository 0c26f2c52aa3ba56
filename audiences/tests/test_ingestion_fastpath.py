"""The values PostgreSQL's own input functions read more laxly than our rules, and the fast path's merge.

On PostgreSQL a clean file is screened and then parsed by COPY (``audiences/ingestion/fastpath.py``); each
value below is one that PostgreSQL would read (or read differently) but our rules refuse, so it must be
rejected exactly as on SQLite. The same files run on both databases.
"""

from __future__ import annotations

import pytest
from django.db import connection

from audiences.catalog import services
from audiences.ingestion import fastpath, loader
from audiences.ingestion.models import IngestionStatus
from audiences.tests.test_ingestion_loads import CUSTOMER_FIELDS, good_file, load, rejects_of, rows

pytestmark = pytest.mark.django_db

DATE = "Not a date (YYYY-MM-DD)."
DATETIME = "Not a date and time"
BOOL = "Not a yes/no value (true, false, 1, 0, yes, no)."
DECIMAL = "Not a decimal number that fits this field."
FLOAT = "Not a number in range."


@pytest.fixture
def customers(administrator):
    return services.schema_create(actor=administrator, name="customer", fields=CUSTOMER_FIELDS)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("optin", "on", BOOL),
        ("optin", "off", BOOL),
        ("optin", "tr", BOOL),
        ("born", "Jan 2 2020", DATE),
        ("born", "20200102", DATE),
        ("born", "2020-1-2", DATE),
        ("born", "epoch", DATE),
        ("born", "infinity", DATE),
        ("born", "0020-01-02 BC", DATE),
        ("changed_at", "2024-01-01 24:00:00", DATETIME),
        ("changed_at", "2024-01-01 23:59:60", DATETIME),
        ("changed_at", "2024-01-01 10:00 PST", DATETIME),
        ("changed_at", "01/02/2024 10:00:00", DATETIME),
        ("changed_at", "infinity", DATETIME),
        ("balance", "NaN", DECIMAL),
        ("balance", "Infinity", DECIMAL),
        ("balance", "1E2", DECIMAL),
        ("score", "NaN", FLOAT),
        ("score", "-Infinity", FLOAT),
        ("score", "inf", FLOAT),
        ("score", "1e-310", FLOAT),
        ("score", "1.7e308", FLOAT),
        ("score", "1e0005", FLOAT),
        ("tier", " gold", None),
        ("email", "x" * 40 + "   ", "At most 40 characters."),
    ],
)
def test_values_postgresql_reads_but_our_rules_refuse(
    administrator, customers, tmp_path, column, value, reason
):
    # given: a one-row file that is clean except for this value
    text = f"id,email\n1,{value}\n" if column == "email" else f'id,email,{column}\n1,a@x.test,"{value}"\n'
    # when
    run = load(administrator, customers, tmp_path, text)
    # then
    if reason is None:  # enumerations ignore surrounding spaces: " gold" is gold, by both paths
        assert run.status == IngestionStatus.SUCCEEDED, run.error
        assert rows(customers, "tier") == [("gold",)]
        return
    assert run.status == IngestionStatus.FAILED
    ((row, name, bad, why),) = rejects_of(run)
    assert (row, name, bad) == (2, column, value) and why.startswith(reason)
    assert rows(customers) == []


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("points", "000000000000000000000042", 42),
        ("points", "\t7 ", 7),
        ("points", " -3\r", -3),
        ("optin", "YES", True),
        ("optin", " n ", False),
        ("email", "  spaced  ", "  spaced  "),
    ],
)
def test_values_read_alike_by_both_paths(administrator, customers, tmp_path, column, value, expected):
    # white space around a non-text value (isspace: what PostgreSQL's input functions skip) is ignored
    text = f"id,email\n1,{value}\n" if column == "email" else f'id,email,{column}\n1,a@x.test,"{value}"\n'
    run = load(administrator, customers, tmp_path, text)
    assert run.status == IngestionStatus.SUCCEEDED, run.error
    ((stored,),) = rows(customers, column)
    assert stored == expected


def test_a_quoted_empty_cell_is_no_value(administrator, customers, tmp_path):
    run = load(administrator, customers, tmp_path, 'id,email,note\n1,"",""\n')
    assert run.status == IngestionStatus.FAILED
    assert rejects_of(run) == [(2, "email", "", "A value is required.")]


def test_a_clean_update_counts_inserted_updated_and_stale_rows(administrator, customers, tmp_path):
    # given: rows 1..3 at 10:00, then a clean file in the canonical layout (the fast path's merge on PG)
    load(administrator, customers, tmp_path, good_file(3), name="first.csv")
    text = (
        "id,email,changed_at\n"
        "1,new1@x.test,2024-01-01 11:00:00\n"
        "2,old2@x.test,2024-01-01 09:00:00\n"
        "3,same3@x.test,2024-01-01T10:00:00Z\n"
        "4,c4@x.test,2024-01-02 00:00:00\n"
    )
    # when
    run = load(administrator, customers, tmp_path, text, name="second.csv")
    # then
    assert run.status == IngestionStatus.SUCCEEDED, run.error
    assert (run.inserted, run.updated, run.skipped, run.rejected) == (1, 1, 2, 0)
    assert [r[0] for r in rows(customers, "email")] == [
        "new1@x.test",
        "c2@example.test",
        "c3@example.test",
        "c4@x.test",
    ]


def test_a_key_repeated_on_stale_rows_is_still_rejected(administrator, customers, tmp_path):
    # given: row 1 at 10:00; the file repeats key 1 with two older versions (neither would update it)
    load(administrator, customers, tmp_path, good_file(1), name="first.csv")
    text = "id,email,changed_at\n1,a@x.test,2024-01-01 09:00:00\n1,b@x.test,2024-01-01 08:00:00\n"
    # when
    run = load(administrator, customers, tmp_path, text, name="second.csv")
    # then
    assert run.status == IngestionStatus.FAILED
    assert [r[3] for r in rejects_of(run)] == ["The same key is on rows 2, 3."] * 2


def test_a_repeated_key_in_a_delete_file_is_rejected(administrator, customers, tmp_path):
    load(administrator, customers, tmp_path, good_file(2), name="first.csv")
    text = "id,_change_request_type,email\n1,d,\n1,u,x@x.test\n"
    run = load(administrator, customers, tmp_path, text, name="second.csv")
    assert run.status == IngestionStatus.FAILED and run.rejected == 2
    assert [r[0] for r in rows(customers, "id")] == [1, 2]


@pytest.mark.postgres
def test_the_fast_path_loads_a_clean_file_and_gives_way_on_a_suspect_one(customers, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's (COPY); SQLite always runs the detailed checks")
    # given
    clean, suspect = tmp_path / "clean.csv", tmp_path / "suspect.csv"
    clean.write_text(good_file(3))
    suspect.write_text(good_file(3).replace("yes", "on"))
    plan = loader.plan_for(customers, good_file(1).splitlines()[0].split(","))
    # when
    gave_way = fastpath.try_load(plan, suspect)
    loaded = fastpath.try_load(plan, clean)
    # then
    assert gave_way is None
    assert (loaded.rows, loaded.inserted) == (3, 3)
    assert rows(customers, "id", "optin") == [(1, True), (2, True), (3, True)]
