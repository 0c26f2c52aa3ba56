"""The browsable API in a real browser (issue 12 §5): pages that answered 500 render, with their data.

Views without a serializer for a bare GET (``/api/v1/activity-schemas/``; the rules' actions when they
answer an error) made DRF's HTML renderer raise while building the page's forms: opening the API in
a browser (``Accept: text/html``) gave a 500.
"""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile
from campaigns.services import campaign_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_opens_in_a_browser(page, live_server, login, make_user, console_errors, screenshot):
    # given: a signed-in administrator and a campaign to list
    admin_user = make_user(ProductProfile.ADMINISTRATOR)
    campaign_create(actor=admin_user, name="Spring sale")
    login(admin_user)
    # when: the root, a list and the rules' validate action are opened as a browser does
    for path in ("/api/v1/", "/api/v1/campaigns/", "/api/v1/activity-schemas/", "/api/v1/rules/validate/"):
        response = page.goto(f"{live_server.url}{path}")
        # then: a page, not a server error (the validate action refuses a GET with 403/405, as it should)
        assert response.status in (200, 403, 405), (path, response.status)
        assert page.locator(".page-header h1").count() == 1, path
    page.goto(f"{live_server.url}/api/v1/campaigns/")
    assert "Spring sale" in page.locator(".response-info").inner_text()
    screenshot("browsable-api-campaigns")
    page.goto(f"{live_server.url}/api/v1/activity-schemas/")
    assert "targeting.build_audience" in page.locator(".response-info").inner_text()
    page.screenshot(path=str(screenshot("browsable-api-activity-schemas")), full_page=False)  # 23,000 px long
    page.goto(f"{live_server.url}/api/v1/rules/validate/")
    assert '"status"' in page.locator(".response-info").inner_text()  # the one error shape, as HTML
    screenshot("browsable-api-rules-validate")
    refused = ("403 ", "405 ", "404 " + live_server.url + "/favicon.ico")
    assert [e for e in console_errors if not e.startswith(refused) and "status of 40" not in e] == []
