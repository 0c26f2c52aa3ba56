"""CSV exports neutralize formula cells (issue 12 §6): the helper, every exporter uses it, and the
ingestion rejects CSV end to end through the API."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from api.csv_export import csv_lines, safe_cell, safe_writer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.test","x")', '\'=HYPERLINK("http://evil.test","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (-3, -3),
        (2.5, 2.5),
        (None, None),
    ],
)
def test_a_formula_cell_gets_a_leading_quote_and_nothing_else_changes(value, written):
    assert safe_cell(value) == written


def test_the_writer_and_the_streamed_lines_read_back_neutralized():
    # given
    rows = [["name", "value"], ["=1+1", -4], ["ok", "@x"]]
    buffer = io.StringIO()
    # when
    safe_writer(buffer).writerows(rows)
    streamed = "".join(csv_lines(rows))
    # then: a CSV reader (what a spreadsheet import starts with) sees the quoted text
    expected = [["name", "value"], ["'=1+1", "-4"], ["ok", "'@x"]]
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == expected
    assert list(csv.reader(io.StringIO(streamed))) == expected


def test_no_export_writes_csv_without_the_helper():
    # every csv.writer / DictWriter of the platform's code is the helper's own (bench/ writes test input)
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "bench/", "api/csv_export.py")) or "/tests/" in f"/{relative}":
            continue
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8")):
            offenders.append(relative)
    assert offenders == []


@pytest.mark.django_db
def test_the_rejects_csv_of_a_load_neutralizes_formula_values(
    administrator, api_as, django_capture_on_commit_callbacks
):
    from audiences.tests.test_ingestion_api import CUSTOMERS, PURCHASES, upload

    # given: a purchases file whose bad values are formulas
    client = api_as(administrator)
    for body in (CUSTOMERS, PURCHASES):
        assert client.post("/api/v1/schemas/", body, format="json").status_code == 201
    text = "id,customer_id,amount\n10,=2+5*cmd|' /C calc'!A0,1\n11,1,@SUM(A1)\n12,1,-1+1\n"
    with django_capture_on_commit_callbacks(execute=True):
        started = upload(client, "purchase", text)
    assert started.status_code == 201, started.json()
    # when
    response = client.get(f"/api/v1/ingestion-runs/{started.json()['id']}/rejects/")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    # then: every formula value starts with a quote
    values = {row[1]: row[2] for row in rows[1:]}
    assert rows[0] == ["row", "column", "value", "reason"]
    assert values["customer_id"] == "'=2+5*cmd|' /C calc'!A0"
    amounts = [row[2] for row in rows[1:] if row[1] == "amount"]
    assert amounts == ["'@SUM(A1)", "'-1+1"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
