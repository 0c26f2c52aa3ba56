"""Personal data on admin pages (issue 12 §3): an ingestion run's rejects are masked for a Viewer,
and the proof recipients page lets an Administrator keep the list proofs may go to."""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _failed_run(administrator):
    from audiences.catalog import services as catalog
    from audiences.ingestion.services import records_upsert

    schema = catalog.schema_create(
        actor=administrator,
        name="person",
        fields=[
            {"name": "id", "type": "bigint", "primary_key": True},
            {"name": "email", "type": "string", "max_length": 50, "is_personal": True},
            {"name": "score", "type": "integer"},
        ],
    )
    records = [{"id": 1, "email": "secret.person@" + "x" * 60 + ".test", "score": "lots"}]
    return records_upsert(actor=administrator, schema=schema, records=records)


def test_a_viewer_sees_rejected_personal_values_masked(
    page, live_server, login, make_user, console_errors, screenshot
):
    # given: a failed load whose e-mail and score were rejected
    run = _failed_run(make_user(ProductProfile.ADMINISTRATOR))
    viewer = make_user(ProductProfile.VIEWER)
    # when: the Viewer opens the run
    login(viewer)
    page.goto(f"{live_server.url}/admin/audiences/ingestionrun/{run.pk}/change/")
    screenshot("ingestion-run-rejects-viewer")
    # then: the e-mail's value is masked, the score's is shown, with labelled columns
    body = page.locator("#content-main").inner_text()
    assert "•••" in body and "lots" in body
    assert "secret.person" not in body
    assert "Download every rejected value (CSV)" in body
    assert console_errors == []


def test_an_administrator_keeps_the_proof_recipients(
    page, live_server, login, make_user, console_errors, screenshot
):
    admin_user = make_user(ProductProfile.ADMINISTRATOR)
    login(admin_user)
    # when: an address is added through the admin
    page.goto(f"{live_server.url}/admin/oc_channels/proofrecipient/add/")
    page.select_option("#id_channel", "email")
    page.fill("#id_address", "Reviewer@Agency.test")
    page.fill("#id_label", "Agency reviewer")
    screenshot("proof-recipient-add")
    page.click("input[name=_save]")
    # then: the list shows it, normalized
    page.wait_for_url(f"{live_server.url}/admin/oc_channels/proofrecipient/")
    screenshot("proof-recipient-list")
    listing = page.locator("#result_list").inner_text()
    assert "reviewer@agency.test" in listing and "Agency reviewer" in listing
    # and the same address again is refused on the form
    page.goto(f"{live_server.url}/admin/oc_channels/proofrecipient/add/")
    page.select_option("#id_channel", "email")
    page.fill("#id_address", "reviewer@agency.test")
    page.click("input[name=_save]")
    assert "already a proof recipient" in page.locator(".errorlist").inner_text()
    assert console_errors == []
