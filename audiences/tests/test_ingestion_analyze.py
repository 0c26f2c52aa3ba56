"""A load that changes more than a tenth of a table, or fills an empty one, leaves the table with fresh
planner statistics and says so in the run's log (issue 12, section 8). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from audiences.catalog import services
from audiences.ingestion.models import IngestionStatus
from audiences.ingestion.services import ingestion_run_create_local, ingestion_run_execute, records_upsert

pytestmark = pytest.mark.django_db

FIELDS = [
    {"name": "id", "type": "bigint", "primary_key": True},
    {"name": "email", "type": "string", "max_length": 40},
    {"name": "points", "type": "integer"},
]
TABLE = "oc_data_customer"


@pytest.fixture
def customers(administrator):
    return services.schema_create(actor=administrator, name="customer", fields=FIELDS)


def load(administrator, schema, tmp_path, ids, *, points=1):
    path = tmp_path / f"load-{ids.start}-{ids.stop}-{points}.csv"
    path.write_text("id,email,points\n" + "".join(f"{i},c{i}@example.test,{points}\n" for i in ids))
    run = ingestion_run_create_local(actor=administrator, schema=schema, path=path)
    run = ingestion_run_execute(run_id=run.pk, path=path)
    assert run.status == IngestionStatus.SUCCEEDED, run.error
    return run


def statistics_rows() -> int | None:
    """The row count the planner's statistics hold for the table; None when it has none."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = %s", [TABLE])
            if cursor.fetchone()[0] == 0:
                return None
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [TABLE])
            return int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM main.sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone()[0] == 0:
            return None
        cursor.execute("SELECT stat FROM main.sqlite_stat1 WHERE tbl = %s", [TABLE])
        stats = [row[0] for row in cursor.fetchall()]
        return max(int(s.split()[0]) for s in stats) if stats else None


def test_a_load_into_an_empty_table_analyzes_it_and_says_so(administrator, customers, tmp_path):
    # given: a new table, no statistics
    assert statistics_rows() is None
    # when
    run = load(administrator, customers, tmp_path, range(1, 201))
    # then: the planner knows the 200 rows, and the log says why
    assert statistics_rows() == 200
    assert f"ANALYZE {TABLE}: 200 row(s) loaded into a table without statistics" in run.log


def test_a_small_change_leaves_statistics_and_a_large_one_refreshes_them(administrator, customers, tmp_path):
    # given: 200 rows, analyzed
    load(administrator, customers, tmp_path, range(1, 201))
    # when: 15 rows changed (under a tenth)
    small = load(administrator, customers, tmp_path, range(195, 210), points=2)
    # then: no ANALYZE, the statistics still say 200
    assert "not more than a tenth of the 200" in small.log and "no ANALYZE" in small.log
    assert statistics_rows() == 200
    # when: 100 new rows (more than a tenth)
    large = load(administrator, customers, tmp_path, range(300, 400))
    # then: analyzed again, 309 rows known
    assert statistics_rows() == 309
    assert f"ANALYZE {TABLE}: 100 row(s) changed, more than a tenth of the 200" in large.log


def test_a_json_batch_into_an_empty_table_is_analyzed(administrator, customers):
    # when
    run = records_upsert(
        actor=administrator,
        schema=customers,
        records=[{"id": i, "email": f"c{i}@example.test", "points": i} for i in range(1, 51)],
    )
    # then
    assert run.status == IngestionStatus.SUCCEEDED
    assert statistics_rows() == 50
    assert f"ANALYZE {TABLE}" in run.log


def test_a_failed_load_is_not_analyzed(administrator, customers, tmp_path):
    # given: a file with a bad row (all or nothing)
    path = tmp_path / "bad.csv"
    path.write_text("id,email,points\n1,a@example.test,1\n2,b@example.test,not-a-number\n")
    run = ingestion_run_create_local(actor=administrator, schema=customers, path=path)
    # when
    run = ingestion_run_execute(run_id=run.pk, path=path)
    # then
    assert run.status == IngestionStatus.FAILED
    assert run.log == ""
    assert statistics_rows() is None


def test_the_log_is_shown_on_the_runs_admin_page_and_in_the_api(administrator, customers, tmp_path, api_as):
    # given
    run = load(administrator, customers, tmp_path, range(1, 21))
    client = Client()
    client.force_login(administrator)
    # when
    page = client.get(f"/admin/audiences/ingestionrun/{run.pk}/change/")
    detail = api_as(administrator).get(f"/api/v1/ingestion-runs/{run.pk}/")
    # then
    assert page.status_code == 200
    assert "ANALYZE oc_data_customer: 20 row(s) loaded" in page.content.decode()
    assert detail.status_code == 200, detail.content
    assert "ANALYZE oc_data_customer" in detail.json()["log"]
