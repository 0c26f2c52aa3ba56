"""Every main admin page by keyboard only, in English and in Traditional Chinese.

Tab is pressed from the top of the page: each press must move the focus to a visible, enabled,
interactive element (never the body, a hidden or zero-size element, or the same element again) until
the page's main controls have been reached; those are then activated with Enter or Space and the
result is checked (a count, a saved graph, a finished test run, the next page).
"""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile
from tests.browser.test_canvas import _ready_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "zh-hant"]

FOCUSED = """(targets) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const same = el === window.__ocLastFocus;
  window.__ocLastFocus = el;
  const r = el.getBoundingClientRect();
  return {
    same,
    html: el.outerHTML.slice(0, 200),
    sized: r.width > 0 && r.height > 0,
    shown: el.checkVisibility({ visibilityProperty: true }),
    inView: r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
    interactive: el.matches(
      "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])"),
    disabled: !!el.disabled,
    matches: targets.map((s) => el.matches(s)),
  };
}"""


def tab_to(page, *targets: str, limit: int = 250, key: str = "Tab") -> list[str]:
    """Press Tab (or ``key``) until the focus has been on every selector of ``targets`` (it stays on the
    last one reached); each stop must be a visible, enabled, interactive element other than the previous."""
    missing = set(targets)
    visited: list[str] = []
    for _ in range(limit):
        page.keyboard.press(key)
        info = page.evaluate(FOCUSED, list(targets))
        assert info is not None, f"focus left the page before reaching {sorted(missing)} after {visited[-5:]}"
        where = info["html"]
        assert not info["same"], f"Tab did not move the focus from {where}"
        assert info["interactive"] and not info["disabled"], f"focus on a non-interactive element: {where}"
        assert info["sized"] and info["shown"], f"focus on a hidden or zero-size element: {where}"
        assert info["inView"], f"the focused element is not scrolled into view: {where}"
        visited.append(where)
        missing -= {target for target, hit in zip(targets, info["matches"], strict=True) if hit}
        if not missing:
            return visited
    raise AssertionError(
        f"{sorted(missing)} not reached by Tab in {limit} presses; last stops: {visited[-8:]}"
    )


def focused_matches(page, selector: str) -> bool:
    return page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector)


@pytest.fixture
def world(make_user):
    """The demo model, a draft campaign with a finished test run, and one waiting for review."""
    from audiences.catalog.models import TargetingDimension
    from audiences.demo.build import demo_build
    from campaigns.lifecycle.services import campaign_request_approval
    from campaigns.services import campaign_update

    admin = make_user(ProductProfile.ADMINISTRATOR, username="keys-admin")
    demo_build(actor=admin, customers=120, seed=3)
    in_review = _ready_campaign(admin, None)
    campaign_update(actor=admin, campaign=in_review, data={"name": "Waiting for review"})
    campaign_request_approval(actor=admin, campaign=in_review)
    draft = _ready_campaign(admin, None)
    return {
        "admin": admin,
        "dimension": TargetingDimension.objects.get(schema__name="customer"),
        "draft": draft,
        "in_review": in_review,
    }


def _index(page, url, world):
    page.goto(f"{url}/admin/")
    target = "#content-main a[href='/admin/campaigns/campaign/']"
    tab_to(page, "#content-main a.addlink", target)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/campaigns/campaign/")


def _campaign_list(page, url, world):
    page.goto(f"{url}/admin/campaigns/campaign/")
    canvas = f"a[href='/admin/campaigns/campaign/{world['draft'].pk}/canvas/']"
    tab_to(page, "#searchbar", ".object-tools a.addlink", canvas)
    page.keyboard.press("Enter")
    page.wait_for_selector("body.oc-canvas-ready")


def _canvas(page, url, world):
    from campaigns.models import Run

    campaign = world["draft"]
    page.goto(f"{url}/admin/campaigns/campaign/{campaign.pk}/canvas/")
    page.wait_for_selector("body.oc-canvas-ready")
    # an activity is reached and opened with Enter
    tab_to(page, "#oc-save", ".drawflow-node[data-key='gold']")
    page.keyboard.press("Enter")
    page.wait_for_selector(".oc-activity-panel[data-key='gold']")
    # Save by Enter, reached back with Shift+Tab (nothing changed: the same graph version is saved)
    tab_to(page, "#oc-save", key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#oc-canvas-messages.oc-message-success, #oc-canvas-messages.oc-message-error")
    assert page.locator("#oc-canvas-messages.oc-message-error").count() == 0
    # Start a test run by Space, reached by Tab
    tab_to(page, "#oc-run-start")
    before = set(Run.objects.filter(campaign=campaign).values_list("pk", flat=True))
    page.keyboard.press(" ")
    page.wait_for_function(
        "(before) => { const s = document.querySelector('.oc-run-status');"
        " const m = s && s.textContent.match(/#(\\d+)/);"
        " return m && !before.includes(Number(m[1])) && s.dataset.status === 'done'; }",
        arg=sorted(before),
    )
    assert Run.objects.filter(campaign=campaign).count() == len(before) + 1


def _rule_builder(page, url, world):
    from audiences.query import services as rules

    page.goto(f"{url}/admin/audiences/rule-builder/")
    page.wait_for_selector("body.oc-rule-ready")
    # the dimension is chosen with the keyboard
    tab_to(page, "#oc-dimension")
    page.keyboard.press("End")  # the dimension select's last option is the customers' (ordered by schema)
    assert page.locator("#oc-dimension").input_value() == str(world["dimension"].pk)
    # a condition is added, its attribute picked from the picker, its value typed
    tab_to(page, ".oc-add-condition")
    page.keyboard.press("Enter")
    page.wait_for_selector(".oc-rule-condition")
    assert focused_matches(page, ".oc-add-condition"), "the focus is lost after adding a condition"
    tab_to(page, ".oc-rule-condition .oc-rule-field")
    page.keyboard.press("Enter")
    page.wait_for_selector(".oc-picker")
    assert focused_matches(page, ".oc-picker-field"), "the picker does not take the focus"
    tab_to(page, ".oc-picker-field[data-field='loyalty_tier']")
    page.keyboard.press("Enter")
    page.wait_for_selector(".oc-rule-field[aria-haspopup]:not(:has-text('…'))")
    assert focused_matches(page, ".oc-rule-condition .oc-rule-field"), "the focus is lost after picking"
    # the operator select is driven with the arrow keys and keeps the focus while the tree is redrawn
    tab_to(page, ".oc-rule-condition .oc-rule-operator")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("window.ocRuleBuilder.value().children[0].operator") != "equal"
    assert focused_matches(page, ".oc-rule-operator"), "the focus is lost after changing the operator"
    page.keyboard.press("ArrowUp")
    assert page.evaluate("window.ocRuleBuilder.value().children[0].operator") == "equal"
    # a typed value is kept and Tab goes on to the "Values…" button
    tab_to(page, ".oc-rule-condition .oc-rule-value")
    page.keyboard.type("silver")
    page.keyboard.press("Tab")
    page.wait_for_function("() => document.querySelectorAll('.oc-rule-value').length === 1")
    assert page.evaluate("window.ocRuleBuilder.value().children[0].value") == "silver"
    assert focused_matches(page, ".oc-rule-values"), "Tab out of the value does not reach the next control"
    # the value list opens with Enter and a value is chosen with Tab and Enter
    values = rules.rule_distribution(
        actor=world["admin"], dimension=world["dimension"], rule=None, field="loyalty_tier"
    )["values"]
    rank = [v["value"] for v in values].index("gold") + 1
    page.keyboard.press("Enter")
    page.wait_for_selector(".oc-distribution .oc-distribution-value")
    tab_to(page, f".oc-distribution .oc-distribution-value:nth-child({rank})")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('.oc-distribution')")
    assert page.locator(".oc-rule-value").input_value() == "gold"
    assert focused_matches(page, ".oc-rule-condition *"), "the focus left the condition after choosing"
    # Calculate by keyboard shows the rule service's count
    tab_to(page, ".oc-calculate")
    page.keyboard.press("Enter")
    page.wait_for_selector(".oc-rule-output .oc-count, .oc-rule-output .errorlist")
    rule = page.evaluate("window.ocRuleBuilder.value()")
    assert rule["children"] == [
        {"type": "condition", "field": "loyalty_tier", "operator": "equal", "value": "gold"}
    ]
    count = rules.rule_count(actor=world["admin"], dimension=world["dimension"], rule=rule)
    assert int(page.locator(".oc-count-value").text_content()) == count > 0
    # and the saved filter box is reachable
    tab_to(page, "#oc-save-name", "#oc-save-filter")


def _review_queue(page, url, world):
    page.goto(f"{url}/admin/campaigns/campaignreview/")
    review = f"#result_list a[href^='/admin/campaigns/campaignreview/{world['in_review'].pk}/']"
    tab_to(page, "#searchbar", review)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/campaigns/campaignreview/{world['in_review'].pk}/change/")


def _report(page, url, world):
    from django.urls import reverse

    page.goto(f"{url}{reverse('admin:oc_channels_delivery_report')}?campaign={world['draft'].pk}")
    tab_to(page, "#content-main a[href*='format=csv']")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "delivery-report.csv"


def _schemas(page, url, world):
    page.goto(f"{url}/admin/audiences/schema/")
    tab_to(page, f"#result_list a[href='/admin/audiences/schema/{world['dimension'].schema.pk}/change/']")
    page.goto(f"{url}/admin/audiences/schema/")
    tab_to(page, ".object-tools a[href$='/diagram/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/audiences/schema/diagram/")
    schema = world["dimension"].schema
    tab_to(page, f".oc-diagram svg a[href='/admin/audiences/schema/{schema.pk}/change/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/audiences/schema/{schema.pk}/change/")


def _ingestion_runs(page, url, world):
    page.goto(f"{url}/admin/audiences/ingestionrun/")
    tab_to(page, ".object-tools a.addlink")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/audiences/ingestionrun/add/")
    tab_to(page, "input[type=file]", "input[type=submit]")


PAGES = {
    "index": _index,
    "campaign-list": _campaign_list,
    "canvas": _canvas,
    "rule-builder": _rule_builder,
    "review-queue": _review_queue,
    "report": _report,
    "schemas-and-diagram": _schemas,
    "ingestion-runs": _ingestion_runs,
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_by_keyboard_only(name, language, page, live_server, login, world, console_errors, screenshot):
    # given an Administrator signed in, in this language
    login(world["admin"], language=language)
    # when the page is walked with Tab and its main controls are activated by keyboard
    PAGES[name](page, live_server.url, world)
    # then everything worked (each step asserts its outcome) in the chosen language, without errors
    assert page.locator("html").get_attribute("lang") == language
    screenshot(f"keyboard-{name}-{language}")
    assert console_errors == []
