"""Personal data through activities, in a real browser: the run page hides derived personal columns
from a Viewer, and Load file's columns are offered as personal data, ticked by default."""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(make_user):
    from audiences.demo.build import demo_build

    admin = make_user(ProductProfile.ADMINISTRATOR, username="pii-admin")
    demo_build(actor=admin, customers=60, seed=5)
    return admin


def test_viewer_run_page_hides_an_aggregate_of_contact_emails(
    page, live_server, login, demo, make_user, console_errors, screenshot
):
    from campaigns.engine.executor import task_execute
    from campaigns.models import TaskStatus
    from campaigns.services.runs import run_start
    from campaigns.tests.graphs import A, T, campaign_with

    # given a test run whose Enrichment adds the latest contact e-mail of each customer's bookings
    campaign = campaign_with(
        demo,
        [
            A("people", "targeting.build_audience", dimension="customer"),
            A(
                "x",
                "targeting.enrichment",
                aggregates=[
                    {"name": "last_contact", "link": "bookings", "function": "max", "field": "contact_email"},
                    {"name": "bookings_made", "link": "bookings", "function": "count"},
                ],
            ),
            A("end", "flow.end"),
        ],
        [T("people", "x"), T("x", "end")],
    )
    run = run_start(actor=demo, campaign=campaign)
    while run.tasks.filter(status=TaskStatus.QUEUED).exists():
        task_execute(run.tasks.filter(status=TaskStatus.QUEUED).first().pk)
    # when a Viewer opens the run page
    login(make_user(ProductProfile.VIEWER))
    page.goto(f"{live_server.url}/admin/campaigns/run/{run.pk}/change/")
    # then the aggregate is listed as hidden and no e-mail address is on the page
    body = page.locator("#content").inner_text()
    assert "Personal columns hidden: last_contact" in body
    assert "bookings_made" in body.lower() and "@" not in body
    screenshot("run-page-viewer-personal-hidden")
    assert console_errors == []


def test_load_file_columns_are_personal_by_default_in_the_canvas(
    page, live_server, login, demo, console_errors, screenshot
):
    from campaigns.tests.graphs import A, campaign_with

    campaign = campaign_with(
        demo,
        [
            A(
                "load",
                "targeting.load_file",
                file="partners.csv",
                columns=[{"name": "email"}, {"name": "points"}],
            )
        ],
        [],
    )
    login(demo)
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/canvas/")
    page.wait_for_selector("body.oc-canvas-ready")
    page.locator(".drawflow-node[data-key='load'] .oc-node-type").click()
    page.wait_for_selector(".oc-activity-panel[data-key='load']")
    assert page.locator("#oc-f-columns-0-personal").is_checked()
    assert "Personal data" in page.locator(".oc-activity-panel").inner_text()
    screenshot("canvas-load-file-personal")
    assert console_errors == []
