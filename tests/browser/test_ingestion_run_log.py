"""The ingestion run's admin page shows the run's log (the ANALYZE line of issue 12, section 8)."""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_run_page_shows_the_analyze_line(
    page, live_server, login, make_user, console_errors, screenshot, tmp_path
):
    from audiences.catalog import services
    from audiences.ingestion.services import ingestion_run_create_local, ingestion_run_execute

    # given: a load into an empty table
    admin_user = make_user(ProductProfile.ADMINISTRATOR)
    schema = services.schema_create(
        actor=admin_user,
        name="customer",
        fields=[{"name": "id", "type": "bigint", "primary_key": True}, {"name": "email", "type": "text"}],
    )
    path = tmp_path / "customers.csv"
    path.write_text("id,email\n" + "".join(f"{i},c{i}@example.test\n" for i in range(1, 31)))
    run = ingestion_run_create_local(actor=admin_user, schema=schema, path=path)
    run = ingestion_run_execute(run_id=run.pk, path=path)
    # when
    login(admin_user)
    page.goto(f"{live_server.url}/admin/audiences/ingestionrun/{run.pk}/change/")
    # then: a labelled "Log" row with the line
    row = page.locator(".field-log")
    assert row.locator("label").inner_text().strip().rstrip(":") == "Log"
    assert "ANALYZE oc_data_customer: 30 row(s) loaded into a table without statistics" in row.inner_text()
    screenshot("ingestion-run-log")
    assert console_errors == []
