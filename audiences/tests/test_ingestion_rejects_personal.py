"""Ingestion rejects (issue 12 §3): a rejected value is stored as a bounded prefix, and the values of
personal fields are masked for readers without the personal-data preview permission, on the API run
detail, the rejects CSV and the admin run page."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audiences.ingestion.models import IngestionReject
from audiences.ingestion.selectors import MASK

pytestmark = pytest.mark.django_db

PEOPLE = {
    "name": "person",
    "fields": [
        {"name": "id", "type": "bigint", "primary_key": True},
        {"name": "email", "type": "string", "max_length": 200, "is_personal": True},
        {"name": "score", "type": "integer"},
    ],
}
HUGE = "z" * (10 * 1024 * 1024)  # a 10 MB cell


@pytest.fixture
def failed_run(administrator, api_as, django_capture_on_commit_callbacks, settings):
    # given: a schema with a personal e-mail field, loaded with a 10 MB e-mail and a bad score
    settings.OC_INGEST_MAX_BYTES = 64 * 1024 * 1024
    client = api_as(administrator)
    assert client.post("/api/v1/schemas/", PEOPLE, format="json").status_code == 201
    text = f"id,email,score\n1,{HUGE},5\n2,ok@x.test,notanumber\n"
    upload = SimpleUploadedFile("people.csv", text.encode(), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/api/v1/ingestion-runs/", {"schema": "person", "file": upload}, format="multipart"
        )
    assert started.status_code == 201, started.content[:500]
    return started.json()["id"]


def test_a_huge_rejected_cell_is_stored_as_a_bounded_prefix(failed_run, settings):
    # then: the load failed on both rows, and only a prefix of the 10 MB value was stored
    rejects = {r.column: r.value for r in IngestionReject.objects.filter(run_id=failed_run)}
    assert set(rejects) == {"email", "score"}
    assert rejects["email"] == "z" * settings.OC_INGEST_REJECT_VALUE_CHARS
    assert rejects["score"] == "notanumber"


def test_a_viewer_sees_personal_values_masked_everywhere(failed_run, viewer, api_as):
    client = api_as(viewer)
    # when: the Viewer reads the run (API), its rejects CSV and the admin run page
    run = client.get(f"/api/v1/ingestion-runs/{failed_run}/").json()
    body = b"".join(client.get(f"/api/v1/ingestion-runs/{failed_run}/rejects/").streaming_content).decode()
    browser = Client()
    browser.force_login(viewer)
    page = browser.get(f"/admin/audiences/ingestionrun/{failed_run}/change/")
    # then: the e-mail's value is masked, the non-personal score is shown
    values = {r["column"]: r["value"] for r in run["rejects"]}
    assert values == {"email": MASK, "score": "notanumber"}
    rows = {r["column"]: r["value"] for r in csv.DictReader(io.StringIO(body))}
    assert rows == {"email": MASK, "score": "notanumber"}
    assert page.status_code == 200
    html = page.content.decode()
    assert MASK in html and "notanumber" in html and "zzzz" not in html


def test_a_permitted_user_sees_the_stored_prefix(failed_run, approver, api_as, settings):
    # given: the Approver profile has the personal-data preview permission
    client = api_as(approver)
    # when
    run = client.get(f"/api/v1/ingestion-runs/{failed_run}/").json()
    body = b"".join(client.get(f"/api/v1/ingestion-runs/{failed_run}/rejects/").streaming_content).decode()
    # then: the prefix, never the whole cell
    prefix = "z" * settings.OC_INGEST_REJECT_VALUE_CHARS
    assert {r["column"]: r["value"] for r in run["rejects"]}["email"] == prefix
    assert {r["column"]: r["value"] for r in csv.DictReader(io.StringIO(body))}["email"] == prefix
