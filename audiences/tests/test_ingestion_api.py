"""Ingestion through /api/v1/ alone (the issue's acceptance), the admin upload, and a real django-q2 run."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from audiences.catalog import database
from audiences.catalog.models import Schema
from audiences.catalog.selectors import schema_table
from audiences.ingestion.models import IngestionRun, IngestionStatus

pytestmark = pytest.mark.django_db

CUSTOMERS = {
    "name": "customer",
    "fields": [
        {"name": "id", "type": "bigint", "primary_key": True},
        {"name": "email", "type": "string", "max_length": 200, "required": True},
        {"name": "country", "type": "string", "max_length": 2},
        {"name": "updated", "type": "integer", "is_version": True},
    ],
}
PURCHASES = {
    "name": "purchase",
    "fields": [
        {"name": "id", "type": "bigint", "primary_key": True},
        {"name": "customer_id", "type": "bigint", "required": True},
        {"name": "amount", "type": "decimal", "precision": 12, "scale": 2},
    ],
}
LINK = {
    "source": "purchase",
    "target": "customer",
    "name": "customer",
    "reverse_name": "purchases",
    "cardinality": "many_to_one",
    "keys": [["customer_id", "id"]],
}


def table_rows(name: str, *columns: str) -> list[tuple]:
    table = schema_table(Schema.objects.get(name=name))
    return database.fetch_all(sa.select(*(table.c[c] for c in columns)).order_by(table.c.id))


def upload(client, schema: str, text: str, **extra):
    body = {"schema": schema, "file": SimpleUploadedFile("data.csv", text.encode(), "text/csv"), **extra}
    return client.post("/api/v1/ingestion-runs/", body, format="multipart")


@pytest.fixture
def model(administrator, api_as):
    client = api_as(administrator)
    for path, body in (("schemas", CUSTOMERS), ("schemas", PURCHASES), ("links", LINK)):
        assert client.post(f"/api/v1/{path}/", body, format="json").status_code == 201
    return client


def test_acceptance_through_the_api(model, django_capture_on_commit_callbacks):
    client = model
    # when: customers load; purchases with 3 bad rows, all or nothing
    with django_capture_on_commit_callbacks(execute=True):
        started = upload(client, "customer", "id,email,updated\n1,a@x.test,1\n2,b@x.test,1\n3,c@x.test,1\n")
    assert started.status_code == 201, started.json()
    run = client.get(f"/api/v1/ingestion-runs/{started.json()['id']}/").json()
    assert (run["status"], run["inserted"]) == ("succeeded", 3)
    bad = "id,customer_id,amount\n10,1,9.99\n11,,1\n12,2,abc\n13,3,1.5\n12,3,2\n"
    with django_capture_on_commit_callbacks(execute=True):
        started = upload(client, "purchase", bad)
    run = client.get(f"/api/v1/ingestion-runs/{started.json()['id']}/").json()
    # then: 3 rows reported, nothing written
    assert run["status"] == "failed" and run["rejected"] == 3 and run["inserted"] == 0
    assert [(r["row"], r["column"], r["reason"]) for r in run["rejects"]] == [
        (3, "customer_id", "A value is required."),
        (4, "amount", "Not a decimal number that fits this field."),
        (4, "id", "The same key is on rows 4, 6."),
        (6, "id", "The same key is on rows 4, 6."),
    ]
    assert table_rows("purchase", "id") == []
    csv_text = b"".join(client.get(f"/api/v1/ingestion-runs/{run['id']}/rejects/").streaming_content).decode()
    assert csv_text.splitlines()[:2] == ["row,column,value,reason", "3,customer_id,,A value is required."]
    # when: accept up to 3 rejects
    with django_capture_on_commit_callbacks(execute=True):
        started = upload(client, "purchase", bad, max_rejects=3)
    run = client.get(f"/api/v1/ingestion-runs/{started.json()['id']}/").json()
    assert (run["status"], run["inserted"], run["rejected"]) == ("succeeded", 2, 3)
    assert table_rows("purchase", "id") == [(10,), (13,)]
    # when: upsert with versions through the JSON endpoint, and a delete by key
    records = [
        {"id": 1, "email": "new@x.test", "updated": 2},
        {"id": 2, "email": "old@x.test", "updated": 0},
        {"id": 3, "_change_request_type": "d"},
        {"id": 4, "email": "d@x.test", "updated": 1},
    ]
    answer = client.post("/api/v1/schemas/customer/records/", {"records": records}, format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert {k: body[k] for k in ("inserted", "updated", "deleted", "skipped")} == {
        "inserted": 1,
        "updated": 1,
        "deleted": 1,
        "skipped": 1,
    }
    assert table_rows("customer", "id", "email") == [(1, "new@x.test"), (2, "b@x.test"), (4, "d@x.test")]


def test_json_records_all_or_nothing_answers_400_naming_each_record(model):
    records = [{"id": 1, "email": "a@x.test"}, {"id": "x", "email": "b@x.test"}, {"id": 3}]
    answer = model.post("/api/v1/schemas/customer/records/", {"records": records}, format="json")
    assert answer.status_code == 400
    errors = {(e["field"], e["message"]) for e in answer.json()["errors"]}
    assert errors == {
        ("records.1.id", "Not a whole number in range."),
        ("records.2.email", "A value is required."),
    }
    assert table_rows("customer", "id") == []


def test_json_records_refuse_unknown_fields_and_too_many_records(model, settings):
    answer = model.post(
        "/api/v1/schemas/customer/records/", {"records": [{"id": 1, "shoe": 4}]}, format="json"
    )
    assert answer.status_code == 400 and "shoe" in answer.json()["errors"][0]["message"]
    settings.OC_INGEST_JSON_MAX_RECORDS = 2
    records = [{"id": i, "email": "a@x.test"} for i in range(3)]
    answer = model.post("/api/v1/schemas/customer/records/", {"records": records}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "records"


def test_an_upload_with_unknown_columns_is_refused_before_it_is_queued(model):
    answer = upload(model, "customer", "id,email,shoe\n1,a@x.test,4\n")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "file"
    assert not IngestionRun.objects.exists()


def test_viewers_follow_runs_but_cannot_start_one(model, viewer, api_as):
    started = upload(model, "customer", "id,email\n1,a@x.test\n")
    client = api_as(viewer)
    assert client.get(f"/api/v1/ingestion-runs/{started.json()['id']}/").status_code == 200
    assert upload(client, "customer", "id,email\n1,a@x.test\n").status_code == 403
    answer = client.post("/api/v1/schemas/customer/records/", {"records": [{"id": 1}]}, format="json")
    assert answer.status_code == 403


def test_admin_upload_queues_a_run_and_shows_its_outcome(
    model, administrator, django_capture_on_commit_callbacks
):
    # given
    browser = Client()
    browser.force_login(administrator)
    schema = Schema.objects.get(name="customer")
    data = {
        "schema": schema.pk,
        "file": SimpleUploadedFile("c.csv", b"Mail,id\na@x.test,1\n"),
        "mapping_text": "Mail=email",
    }
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/admin/audiences/ingestionrun/add/", data)
    # then
    assert response.status_code == 302, response.content[:2000]
    run = IngestionRun.objects.get()
    assert (run.status, run.inserted, run.origin, run.mapping) == ("succeeded", 1, "admin", {"Mail": "email"})
    assert run.file.name.startswith("ingestion/")
    page = browser.get(f"/admin/audiences/ingestionrun/{run.pk}/change/")
    assert page.status_code == 200 and b"1 rows read" in page.content


def test_admin_upload_errors_show_on_the_form(model, administrator):
    browser = Client()
    browser.force_login(administrator)
    schema = Schema.objects.get(name="customer")
    data = {"schema": schema.pk, "file": SimpleUploadedFile("c.csv", b"id,shoe\n1,2\n")}
    response = browser.post("/admin/audiences/ingestionrun/add/", data)
    assert response.status_code == 200
    assert "Unknown column(s) shoe" in response.content.decode()
    assert not IngestionRun.objects.exists()


def test_the_ingest_command_loads_a_file(model, administrator, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "c.csv"
    path.write_text("Mail,id\na@x.test,1\nb@x.test,2\n")
    call_command("ingest", "customer", str(path), "--mapping", "Mail=email", "--user", administrator.username)
    assert table_rows("customer", "id", "email") == [(1, "a@x.test"), (2, "b@x.test")]
    assert IngestionRun.objects.get().origin == "command"


@pytest.mark.django_db(transaction=True)
def test_a_real_cluster_executes_an_admin_started_load(administrator, monkeypatch):
    from django_q.brokers import get_broker
    from django_q.cluster import Cluster
    from django_q.conf import Conf

    from audiences.catalog import services
    from audiences.ingestion.services import ingestion_run_start

    monkeypatch.setattr(Conf, "SYNC", False)
    # given: a run queued on the ORM broker once its transaction commits
    schema = services.schema_create(actor=administrator, name="customer", fields=CUSTOMERS["fields"])
    run = ingestion_run_start(
        actor=administrator,
        schema=schema,
        upload=SimpleUploadedFile("c.csv", b"id,email\n1,a@x.test\n2,b@x.test\n"),
    )
    assert IngestionRun.objects.get(pk=run.pk).status == IngestionStatus.QUEUED
    connections.close_all()
    cluster = Cluster(get_broker())
    cluster.start()
    try:
        # when / then: a worker executes it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            run.refresh_from_db()
            if run.status in (IngestionStatus.SUCCEEDED, IngestionStatus.FAILED):
                break
        assert (run.status, run.inserted) == (IngestionStatus.SUCCEEDED, 2), run.error
    finally:
        cluster.stop()
    assert table_rows("customer", "id") == [(1,), (2,)]
