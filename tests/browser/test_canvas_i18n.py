"""The canvas side panel in Traditional Chinese: the activity's description, its settings' labels and
choices (from GET /api/v1/activity-schemas/ in the request's language) and the last run's task status
are Chinese; the machine values (option values, data-status) stay as the API gives them."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_canvas import _canvas, _select, shop  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HAN = re.compile(r"[\u4e00-\u9fff]")

# Labels the side panel showed in English before; none may remain in zh-hant.
ENGLISH = {
    "Dimension",
    "Rule",
    "Activate when empty",
    "Subsets",
    "Mode",
    "Complement",
    "Skip empty",
    "Single table",
    "Seed",
    "Code",
    "Limit",
    "Kind",
    "Value",
    "Sort",
    "Filter",
    "Label",
    "Key",
    "Enabled",
    "Configuration",
    "Last run",
    "Status",
    "In",
    "Out",
    "Duration",
    "done",
    "first_match",
    "overlap",
    "count",
    "percent",
}

PANEL_TEXTS = """(panel) => [...panel.querySelectorAll(
  "h2, h3, p.help, label, legend, dt, dd.oc-task-status, option, .form-row > span")]
  .filter((el) => !el.closest(".oc-rule-widget"))
  .map((el) => el.textContent.trim()).filter(Boolean)"""


def _campaign(owner):
    """Build audience -> Split -> End with a finished test run, built through the services."""
    from campaigns.engine.executor import task_execute
    from campaigns.models import TaskStatus
    from campaigns.services import campaign_create
    from campaigns.services.graph import campaign_graph_replace
    from campaigns.services.runs import run_start

    campaign = campaign_create(actor=owner, name="Gold customers")
    rule = {"type": "condition", "field": "loyalty_tier", "operator": "equal", "value": "gold"}
    subsets = [{"code": "half", "limit": {"kind": "percent", "value": 50}}]
    document = {
        "activities": [
            {
                "key": "gold",
                "type": "targeting.build_audience",
                "x": 60,
                "y": 60,
                "config": {"dimension": "customer", "rule": rule},
            },
            {"key": "halves", "type": "targeting.split", "x": 360, "y": 60, "config": {"subsets": subsets}},
            {"key": "done", "type": "flow.end", "x": 660, "y": 60},
        ],
        "transitions": [
            {"source": "gold", "target": "halves"},
            {"source": "halves", "output": "half", "target": "done"},
        ],
    }
    campaign_graph_replace(actor=owner, campaign=campaign, document=document, version=0)
    run = run_start(actor=owner, campaign=campaign)
    while run.tasks.filter(status=TaskStatus.QUEUED).exists():
        task_execute(run.tasks.filter(status=TaskStatus.QUEUED).first().pk)
    assert set(run.tasks.values_list("status", flat=True)) == {TaskStatus.DONE}
    return campaign


def _panel_texts(page):
    return page.locator("#oc-side-panel .oc-activity-panel").evaluate(PANEL_TEXTS)


def test_side_panel_labels_description_and_task_status_in_traditional_chinese(
    page,
    live_server,
    login,
    shop,  # noqa: F811 (the imported fixture)
    console_errors,
    screenshot,
):
    # given a campaign with a finished test run, opened in Traditional Chinese
    campaign = _campaign(shop["admin"])
    login(shop["admin"], language="zh-hant")
    _canvas(page, live_server, campaign)
    page.wait_for_selector(".oc-run-status[data-status='done']")

    # when the Build audience activity is selected
    _select(page, "gold")
    page.wait_for_selector(".oc-activity-panel .oc-task-summary")
    panel = page.locator("#oc-side-panel .oc-activity-panel")
    # then its title, description and settings are Chinese
    assert panel.locator("h2").first.inner_text() == "建立受眾"
    description = panel.locator("p.help").first.inner_text()
    assert description.startswith("以規則鎖定母體") and not re.search("[A-Za-z]", description)
    labels = panel.locator(".oc-form-row > label").all_inner_texts()
    assert {"維度", "規則", "為空時仍啟用"} <= {label.strip() for label in labels}, labels
    # and the last run's status is a label, the machine value kept aside
    status = panel.locator("dd.oc-task-status")
    assert status.inner_text() == "完成" and status.get_attribute("data-status") == "done"
    texts = _panel_texts(page)
    assert sorted(ENGLISH & set(texts)) == [], texts
    screenshot("canvas-side-panel-zh-hant")

    # when the Split is selected
    _select(page, "halves")
    page.wait_for_selector(".oc-activity-panel[data-key='halves'] .oc-task-summary")
    panel = page.locator("#oc-side-panel .oc-activity-panel")
    # then its choices show Chinese labels over the values the API parses
    mode = panel.locator("#oc-f-mode")
    assert mode.input_value() == "first_match"
    assert mode.locator("option").all_inner_texts() == ["第一個符合", "可重疊"]
    kind = panel.locator("#oc-f-subsets-0-limit-kind")
    assert kind.input_value() == "percent" and kind.locator("option:checked").inner_text() == "百分比"
    assert HAN.search(panel.locator("p.help").first.inner_text())
    texts = _panel_texts(page)
    assert sorted(ENGLISH & set(texts)) == [], texts

    # and the run log's task table and its status filter speak Chinese too
    cells = page.locator("#oc-run-log table.oc-tasks td[data-status]")
    assert set(cells.all_inner_texts()) == {"完成"}
    assert page.locator("#oc-run-log .oc-filter-status option[value='done']").inner_text() == "完成"
    levels = page.locator("#oc-run-log table.oc-events td[data-level='info']")
    assert levels.count() >= 1 and set(levels.all_inner_texts()) == {"資訊"}
    assert console_errors == []
