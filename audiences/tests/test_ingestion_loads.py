"""CSV loads through the ingestion services, on SQLite and PostgreSQL: types, versions, deletes, rejects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from django.core.exceptions import ValidationError
from django.db import connection

from audiences.catalog import database, services
from audiences.catalog.selectors import schema_table
from audiences.ingestion.models import IngestionStatus
from audiences.ingestion.services import ingestion_run_create_local, ingestion_run_execute

pytestmark = pytest.mark.django_db

CUSTOMER_FIELDS = [
    {"name": "id", "type": "bigint", "primary_key": True},
    {"name": "email", "type": "string", "max_length": 40, "required": True},
    {"name": "points", "type": "integer"},
    {"name": "balance", "type": "decimal", "precision": 6, "scale": 2},
    {"name": "score", "type": "float"},
    {"name": "optin", "type": "boolean"},
    {"name": "born", "type": "date"},
    {"name": "tier", "type": "enum", "enum_values": ["bronze", "gold"]},
    {"name": "note", "type": "text"},
    {"name": "changed_at", "type": "datetime", "is_version": True},
]
HEADER = "id,email,points,balance,score,optin,born,tier,note,changed_at\n"


@pytest.fixture
def customers(administrator):
    return services.schema_create(actor=administrator, name="customer", fields=CUSTOMER_FIELDS)


def load(administrator, schema, tmp_path, text, *, name="load.csv", mapping=None, max_rejects=None, raw=None):
    path = tmp_path / name
    path.write_bytes(raw if raw is not None else text.encode())
    run = ingestion_run_create_local(
        actor=administrator, schema=schema, path=path, mapping=mapping, max_rejects=max_rejects
    )
    return ingestion_run_execute(run_id=run.pk, path=path)


def rows(schema, *columns):
    table = schema_table(schema)
    selected = [table.c[c] for c in columns] if columns else list(table.c)
    return database.fetch_all(sa.select(*selected).order_by(*[table.c[k] for k in ("id",)]))


def rejects_of(run):
    return [(r.row_number, r.column, r.value, r.reason) for r in run.rejects.order_by("row_number", "column")]


def good_file(n=3, version="2024-01-01 10:00:00"):
    lines = [
        f"{i},c{i}@example.test,{i * 10},{i}.5,{i}.25,yes,1990-01-0{i},gold,hello {i},{version}"
        for i in range(1, n + 1)
    ]
    return HEADER + "\n".join(lines) + "\n"


def test_a_csv_load_inserts_typed_rows(administrator, customers, tmp_path):
    # when
    run = load(administrator, customers, tmp_path, good_file(3))
    # then
    assert run.status == IngestionStatus.SUCCEEDED, run.error
    assert (run.inserted, run.updated, run.skipped, run.rejected, run.processed_rows) == (3, 0, 0, 0, 3)
    (first, *_rest) = rows(customers, "id", "email", "points", "balance", "optin", "born", "tier")
    assert first[0] == 1 and first[1] == "c1@example.test" and first[2] == 10
    assert Decimal(str(first[3])) == Decimal("1.50")
    assert first[4] in (True, 1)
    assert str(first[5]) == "1990-01-01"
    assert first[6] == "gold"
    assert run.started_at and run.finished_at and run.created_by == administrator


def test_all_or_nothing_reports_three_bad_rows_and_writes_nothing(administrator, customers, tmp_path):
    # given: rows 3, 5 and 6 are bad (the header is row 1)
    text = (
        HEADER
        + "1,a@x.test,1,,,,,,,\n"
        + "2,b@x.test,two,,,,,,,\n"
        + "3,c@x.test,3,,,,,,,\n"
        + "4,,4,,,,1990-02-30,,,\n"
        + "5,e@x.test,5,,,maybe,,silver,,\n"
    )
    # when
    run = load(administrator, customers, tmp_path, text)
    # then
    assert run.status == IngestionStatus.FAILED
    assert run.rejected == 3 and run.inserted == 0
    assert "all or nothing" in run.error
    assert rejects_of(run) == [
        (3, "points", "two", "Not a whole number in range."),
        (5, "born", "1990-02-30", "Not a date (YYYY-MM-DD)."),
        (5, "email", None or "", "A value is required."),
        (6, "optin", "maybe", "Not a yes/no value (true, false, 1, 0, yes, no)."),
        (6, "tier", "silver", "Not one of: bronze, gold."),
    ]
    assert rows(customers) == []


def test_accept_up_to_n_rejects_writes_the_good_rows(administrator, customers, tmp_path):
    # given
    text = HEADER + "1,a@x.test,1,,,,,,,\n2,b@x.test,x,,,,,,,\n3,c@x.test,3,,,,,,,\n"
    # when
    run = load(administrator, customers, tmp_path, text, max_rejects=1)
    # then
    assert run.status == IngestionStatus.SUCCEEDED
    assert (run.inserted, run.rejected) == (2, 1)
    assert [r[0] for r in rows(customers, "id")] == [1, 3]


def test_more_rejects_than_accepted_fails(administrator, customers, tmp_path):
    text = HEADER + "1,a@x.test,y,,,,,,,\n2,b@x.test,x,,,,,,,\n3,c@x.test,3,,,,,,,\n"
    run = load(administrator, customers, tmp_path, text, max_rejects=1)
    assert run.status == IngestionStatus.FAILED and run.rejected == 2
    assert rows(customers) == []


def test_upsert_keeps_the_highest_version(administrator, customers, tmp_path):
    # given: three rows at 10:00
    load(administrator, customers, tmp_path, good_file(3), name="first.csv")
    # when: row 1 newer, row 2 older, row 3 the same version, row 4 new
    text = (
        "id,email,changed_at\n"
        "1,new1@x.test,2024-01-01 11:00:00\n"
        "2,old2@x.test,2024-01-01 09:00:00\n"
        "3,same3@x.test,2024-01-01T10:00:00Z\n"
        "4,c4@x.test,2024-01-02 00:00:00+02:00\n"
    )
    run = load(administrator, customers, tmp_path, text, name="second.csv")
    # then
    assert run.status == IngestionStatus.SUCCEEDED, run.error
    assert (run.inserted, run.updated, run.skipped) == (1, 1, 2)
    assert [r[1] for r in rows(customers, "id", "email")] == [
        "new1@x.test",
        "c2@example.test",
        "c3@example.test",
        "c4@x.test",
    ]
    # the columns absent from the file keep their values
    assert rows(customers, "points")[0][0] == 10


def test_delete_by_key_and_missing_keys_are_skipped(administrator, customers, tmp_path):
    load(administrator, customers, tmp_path, good_file(3), name="first.csv")
    text = "id,_change_request_type,email\n1,d,\n9,D,\n2,u,up@x.test\n"
    run = load(administrator, customers, tmp_path, text, name="second.csv")
    assert run.status == IngestionStatus.SUCCEEDED, run.error
    assert (run.deleted, run.updated, run.skipped, run.inserted) == (1, 1, 1, 0)
    assert rows(customers, "id", "email") == [(2, "up@x.test"), (3, "c3@example.test")]


def test_a_bad_change_type_is_rejected(administrator, customers, tmp_path):
    run = load(administrator, customers, tmp_path, "id,email,_change_request_type\n1,a@x.test,x\n")
    assert rejects_of(run) == [(2, "_change_request_type", "x", "Use u (upsert) or d (delete).")]


def test_duplicate_keys_in_one_file_name_their_rows(administrator, customers, tmp_path):
    text = "id,email\n1,a@x.test\n2,b@x.test\n01,c@x.test\n3,d@x.test\n"
    run = load(administrator, customers, tmp_path, text)
    assert run.status == IngestionStatus.FAILED
    assert rejects_of(run) == [
        (2, "id", "1", "The same key is on rows 2, 4."),
        (4, "id", "01", "The same key is on rows 2, 4."),
    ]


def test_an_explicit_mapping_renames_columns(administrator, customers, tmp_path):
    text = "Customer ID,E-mail\n7,m@x.test\n"
    run = load(administrator, customers, tmp_path, text, mapping={"Customer ID": "id", "E-mail": "email"})
    assert run.status == IngestionStatus.SUCCEEDED, run.error
    assert rows(customers, "id", "email") == [(7, "m@x.test")]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("points", "12a", "Not a whole number in range."),
        ("points", "2147483648", "Not a whole number in range."),
        ("balance", "10000", "Not a decimal number that fits this field."),
        ("balance", "1e3", "Not a decimal number that fits this field."),
        ("score", "abc", "Not a number in range."),
        ("score", "1e400", "Not a number in range."),
        ("optin", "maybe", "Not a yes/no value (true, false, 1, 0, yes, no)."),
        ("born", "2023-02-29", "Not a date (YYYY-MM-DD)."),
        ("born", "01/02/2020", "Not a date (YYYY-MM-DD)."),
        ("changed_at", "2024-01-01 25:00", None),
        ("tier", "Gold", "Not one of: bronze, gold."),
        ("email", "x" * 41, "At most 40 characters."),
    ],
)
def test_wrong_types_are_rejected_with_their_reason(
    administrator, customers, tmp_path, column, value, reason
):
    # when
    text = f"id,email\n1,{value}\n" if column == "email" else f"id,email,{column}\n1,a@x.test,{value}\n"
    run = load(administrator, customers, tmp_path, text)
    # then
    assert run.status == IngestionStatus.FAILED
    ((row, name, bad, why),) = rejects_of(run)
    assert (row, name, bad) == (2, column, value)
    assert why == (reason or why) and why.startswith("Not a date and time" if reason is None else reason)
    assert rows(customers) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-29 23:59:59.5", dt.datetime(2024, 2, 29, 23, 59, 59, 500000, tzinfo=dt.UTC)),
        ("2024-03-01T01:00+01:00", dt.datetime(2024, 3, 1, 0, 0, tzinfo=dt.UTC)),
        ("2024-03-01", dt.datetime(2024, 3, 1, tzinfo=dt.UTC)),
    ],
)
def test_datetimes_are_stored_in_utc(administrator, customers, tmp_path, value, expected):
    run = load(administrator, customers, tmp_path, f"id,email,changed_at\n1,a@x.test,{value}\n")
    assert run.status == IngestionStatus.SUCCEEDED, run.error
    table = schema_table(customers)
    stored = database.fetch_value(sa.select(table.c.changed_at))
    if connection.vendor == "sqlite":
        stored = (stored if isinstance(stored, dt.datetime) else dt.datetime.fromisoformat(stored)).replace(
            tzinfo=dt.UTC
        )
    assert stored == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "The file is empty"),
        (b"id,email,shoe_size\n1,a@x.test,42\n", "Unknown column(s) shoe_size"),
        (b"email\na@x.test\n", "Missing column(s) for required field(s): id"),
        (b"id,email\n1,a@x.test\n2,b\x00@x.test\n", "Line 3 contains a NUL byte"),
        (b"id,email\n1,caf\xe9@x.test\n", "The file is not UTF-8 (line 2"),
        (b"\xff\xfei\x00d\x00", "The file is UTF-16, not UTF-8"),
        (b"id,email\n1,a@x.test,extra\n", "Line 2"),
        # the user's own column count, never a staging column ("c1") on PostgreSQL
        (b"id,email\n1,a@x.test\n2\n", "Line 3 has 1 columns; the header has 2."),
    ],
)
def test_bad_files_fail_with_a_clear_error_and_write_nothing(
    administrator, customers, tmp_path, raw, message
):
    path = tmp_path / "bad.csv"
    path.write_bytes(raw)
    try:
        run = ingestion_run_create_local(actor=administrator, schema=customers, path=path)
    except ValidationError as error:
        text = " ".join(" ".join(m) for m in error.message_dict.values())
    else:
        run = ingestion_run_execute(run_id=run.pk, path=path)
        assert run.status == IngestionStatus.FAILED
        text = run.error
    assert message in text
    assert '"c' not in text
    assert rows(customers) == []


def test_a_file_over_the_size_limit_is_refused(administrator, customers, tmp_path, settings):
    settings.OC_INGEST_MAX_BYTES = 20
    path = tmp_path / "big.csv"
    path.write_bytes(good_file(3).encode())
    with pytest.raises(ValidationError) as error:
        ingestion_run_create_local(actor=administrator, schema=customers, path=path)
    assert "the limit is 20 (setting OC_INGEST_MAX_BYTES)" in str(error.value)


def test_a_header_only_file_loads_nothing(administrator, customers, tmp_path):
    run = load(administrator, customers, tmp_path, HEADER)
    assert run.status == IngestionStatus.SUCCEEDED
    assert (run.inserted, run.processed_rows) == (0, 0)


def test_quoted_cells_with_commas_and_newlines(administrator, customers, tmp_path):
    text = 'id,email,note\n1,a@x.test,"line one\nline two, with ""quotes"""\n'
    run = load(administrator, customers, tmp_path, text)
    assert run.status == IngestionStatus.SUCCEEDED, run.error
    assert rows(customers, "note") == [('line one\nline two, with "quotes"',)]


def test_only_administrators_load(viewer, customers, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(good_file(1).encode())
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        ingestion_run_create_local(actor=viewer, schema=customers, path=path)
