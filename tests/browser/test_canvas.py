"""The canvas in a real browser: the worked example built by hand, saved, test-run and counted; the
rule builder's Calculate against the rule service; what a Viewer and a Manager are offered."""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(make_user):
    """The demo retail model on a small population, and an email configuration on its customers."""
    from audiences.demo.build import demo_build
    from channels.services.configurations import configuration_create

    admin = make_user(ProductProfile.ADMINISTRATOR, username="shop-admin")
    demo_build(actor=admin, customers=300, seed=11)
    from audiences.catalog.models import TargetingDimension

    dimension = TargetingDimension.objects.get(schema__name="customer")
    configuration_create(
        actor=admin,
        data={
            "name": "mail",
            "channel": "email",
            "provider": "smtp",
            "marketing": True,
            "transactional": True,
            "provider_settings": {"host": "127.0.0.1", "port": 2525, "timeout": 5},
            "from_email": "news@shop.test",
            "rate_per_second": 100,
            "dimension": dimension,
            "tracking_base_url": "https://t.shop.test",
        },
    )
    return {"admin": admin, "dimension": dimension}


def _canvas(page, live_server, campaign):
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/canvas/")
    page.wait_for_selector("body.oc-canvas-ready")


def _node(page, key):
    return page.locator(f".drawflow-node[data-key='{key}']")


def _select(page, key):
    _node(page, key).locator(".oc-node-type").click()
    page.wait_for_selector(f".oc-activity-panel[data-key='{key}']")


def _add(page, type_key, after=None):
    if after:
        _select(page, after)
    else:
        page.locator("#oc-drawflow").click(position={"x": 5, "y": 5})  # nothing selected: start activities
    page.click(f".oc-palette-item[data-type='{type_key}']")


def _box(locator):
    """The element's box once it is laid out (a freshly added node may not be yet on a busy machine)."""
    locator.wait_for(state="visible")
    for _ in range(50):
        box = locator.bounding_box()
        if box and box["width"] > 0:
            return box
        locator.page.wait_for_timeout(100)
    raise AssertionError(f"{locator} has no layout box")


def _connect(page, source, target, output=1):
    page.click("#oc-fit")  # both ends in view
    out = _node(page, source).locator(f".outputs .output_{output}")
    into = _node(page, target).locator(".inputs .input_1")
    a, b = _box(out), _box(into)
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=8)
    page.mouse.up()


def _move(page, key, dx, dy):
    box = _box(_node(page, key).locator(".oc-node-type"))
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 5 + dx, box["y"] + 5 + dy, steps=5)
    page.mouse.up()


def _condition(page, scope, field, value, operator=None):
    """One condition in the rule builder under ``scope``: attribute picker, operator, value."""
    scope.locator(".oc-add-condition").first.click()
    page.locator(".oc-rule-field", has_text="Choose an attribute").last.click()
    page.click(f".oc-picker-field[data-field='{field}']")
    if operator:
        page.locator(".oc-rule-condition .oc-rule-operator").last.select_option(operator)
    value_input = page.locator(".oc-rule-value").last
    value_input.fill(str(value))
    value_input.press("Tab")


def _audience(page, key, field, value):
    _select(page, key)
    page.select_option("#oc-f-dimension", "customer")
    page.wait_for_selector(".oc-activity-panel .oc-rule-widget .oc-add-condition")
    _condition(page, page.locator(".oc-activity-panel .oc-rule"), field, value)


def test_worked_example_built_saved_and_test_run_in_the_browser(
    page, live_server, login, shop, console_errors, screenshot
):
    # given an empty draft campaign
    from campaigns.models import Campaign
    from campaigns.services import campaign_create

    admin = shop["admin"]
    campaign = campaign_create(actor=admin, name="Worked example")
    login(admin)
    _canvas(page, live_server, campaign)

    # when the worked example is drawn: Fork -> three Build audiences -> union -> exclusion -> Email
    _add(page, "targeting.build_audience")  # the population to exclude, a start activity of its own
    _add(page, "flow.fork")
    _select(page, "fork")
    page.click(".oc-activity-panel .oc-array-add")
    page.fill("#oc-f-branches-2", "branch3")
    page.press("#oc-f-branches-2", "Tab")
    page.wait_for_selector(".drawflow-node[data-key='fork'] .outputs .output_3")
    for _ in range(3):
        _add(page, "targeting.build_audience", after="fork")
    _add(page, "targeting.combine", after="build_audience_2")
    _connect(page, "build_audience_3", "combine")
    _connect(page, "build_audience_4", "combine")
    _add(page, "targeting.combine", after="combine")
    _connect(page, "build_audience", "combine_2")
    _add(page, "channel.email", after="combine_2")
    _move(page, "email", 40, 60)

    # and configured through the side panel and the rule builder
    _audience(page, "build_audience", "loyalty_tier", "bronze")
    _audience(page, "build_audience_2", "loyalty_tier", "gold")
    _audience(page, "build_audience_3", "loyalty_tier", "silver")
    _audience(page, "build_audience_4", "country", "FR")
    _select(page, "combine")
    page.select_option("#oc-f-operation", "union")
    _select(page, "combine_2")
    page.select_option("#oc-f-operation", "exclusion")
    page.select_option("#oc-f-primary", "combine")
    _select(page, "email")
    page.fill("#oc-f-configuration", "mail")
    page.press("#oc-f-configuration", "Tab")
    page.fill("#oc-f-content-subject", "Spring offers")
    page.press("#oc-f-content-subject", "Tab")
    page.fill("#oc-f-content-text", "Hello, our spring offers are here.")
    page.press("#oc-f-content-text", "Tab")
    page.click("#oc-save")
    page.wait_for_selector(".oc-message-success, .oc-message-error")
    assert page.locator(".oc-message-error").count() == 0, page.evaluate(
        "JSON.stringify([window.ocCanvas.errors, window.ocCanvas.graphErrors])"
    )

    # then the graph the API stores is the drawn one
    graph = page.request.get(f"{live_server.url}/api/v1/campaigns/{campaign.pk}/graph/").json()
    edges = {(t["source"], t["output"], t["target"]) for t in graph["transitions"]}
    assert edges == {
        ("fork", "branch1", "build_audience_2"),
        ("fork", "branch2", "build_audience_3"),
        ("fork", "branch3", "build_audience_4"),
        ("build_audience_2", "out", "combine"),
        ("build_audience_3", "out", "combine"),
        ("build_audience_4", "out", "combine"),
        ("combine", "out", "combine_2"),
        ("build_audience", "out", "combine_2"),
        ("combine_2", "out", "email"),
    }
    configs = {a["key"]: a["config"] for a in graph["activities"]}
    assert configs["combine_2"]["primary"] == "combine"
    assert configs["build_audience_2"]["rule"]["children"][0] == {
        "type": "condition",
        "field": "loyalty_tier",
        "operator": "equal",
        "value": "gold",
    }
    assert Campaign.objects.get(pk=campaign.pk).graph_version == graph["version"]

    # when a test run is started from the canvas
    page.click("#oc-run-start")
    page.wait_for_selector(".oc-run-status[data-status='done']")
    page.wait_for_function("document.querySelectorAll('.oc-transition-label .oc-count').length === 9")

    # then every transition shows the count the API reports
    run = page.request.get(f"{live_server.url}/api/v1/campaigns/{campaign.pk}/runs/?limit=1").json()[
        "results"
    ][0]
    detail = page.request.get(f"{live_server.url}/api/v1/campaigns/{campaign.pk}/runs/{run['id']}/").json()
    api_counts = {(r["source_key"], r["output"]): r["row_count"] for r in detail["results"]}
    shown = {}
    for label in page.locator(".oc-transition-label").all():
        key = (label.get_attribute("data-source"), label.get_attribute("data-output"))
        shown[key] = int(label.locator(".oc-count").get_attribute("data-count"))
    assert shown == api_counts
    assert len(shown) == 9 and shown[("combine_2", "out")] > 0
    assert shown[("combine", "out")] >= shown[("combine_2", "out")]
    assert page.locator(".drawflow-node .oc-node-status[data-status='done']").count() == 8
    page.click("#oc-fit")
    screenshot("canvas-after-test-run")

    # and a click on a transition shows its working table (an Administrator may see the rows)
    page.locator(".oc-transition-label[data-source='combine_2']").click()
    page.wait_for_selector(".oc-result .oc-preview tbody tr")
    assert console_errors == []


def _ready_campaign(owner, shop):
    """A small valid graph with a finished test run, built through the services."""
    from campaigns.engine.executor import task_execute
    from campaigns.models import TaskStatus
    from campaigns.services import campaign_create
    from campaigns.services.graph import campaign_graph_replace
    from campaigns.services.runs import run_start

    campaign = campaign_create(actor=owner, name="Gold customers")
    rule = {"type": "condition", "field": "loyalty_tier", "operator": "equal", "value": "gold"}
    document = {
        "activities": [
            {
                "key": "gold",
                "type": "targeting.build_audience",
                "x": 60,
                "y": 60,
                "config": {"dimension": "customer", "rule": rule},
            },
            {"key": "done", "type": "flow.end", "x": 360, "y": 60},
        ],
        "transitions": [{"source": "gold", "target": "done"}],
    }
    campaign_graph_replace(actor=owner, campaign=campaign, document=document, version=0)
    run = run_start(actor=owner, campaign=campaign)
    while run.tasks.filter(status=TaskStatus.QUEUED).exists():
        task_execute(run.tasks.filter(status=TaskStatus.QUEUED).first().pk)
    return campaign


def test_viewer_sees_the_canvas_read_only_and_no_rows(
    page, live_server, login, make_user, shop, console_errors
):
    # given a campaign with a finished test run, and a Viewer
    campaign = _ready_campaign(shop["admin"], shop)
    viewer = make_user(ProductProfile.VIEWER)
    login(viewer)
    # when the Viewer opens its canvas
    _canvas(page, live_server, campaign)
    # then nothing can be changed or run
    assert page.locator("#oc-canvas.oc-read-only").count() == 1
    assert page.locator(".oc-palette-item").count() == 0
    assert page.locator("#oc-toolbar button", has_text="Save").count() == 0
    assert page.locator("#oc-run-start").count() == 0
    assert page.evaluate("window.ocCanvas.editor.editor_mode") == "view"
    _node(page, "gold").locator(".oc-node-type").click()
    assert page.locator("#oc-f-dimension").is_disabled()
    page.keyboard.press("Delete")
    assert _node(page, "gold").count() == 1
    # and a transition shows its count and columns, but no rows
    label = page.locator(".oc-transition-label[data-source='gold']")
    assert int(label.locator(".oc-count").get_attribute("data-count")) > 0
    label.click()
    page.wait_for_selector(".oc-no-preview")
    assert page.locator(".oc-result .oc-preview").count() == 0
    assert console_errors == []


def test_manager_edits_own_draft_without_approve_or_publish(
    page, live_server, login, make_user, shop, console_errors
):
    # given a Manager's own draft campaign
    manager = make_user(ProductProfile.MANAGER)
    campaign = _ready_campaign(manager, shop)
    login(manager)
    # when the Manager opens the canvas and the campaign page
    _canvas(page, live_server, campaign)
    # then it is editable and runnable, and nothing offers approving or publishing
    assert page.locator("#oc-canvas.oc-read-only").count() == 0
    assert page.locator("#oc-run-start, #oc-run-restart").count() >= 1
    forbidden = page.locator("button, a, input[type=submit]").filter(has_text="Approve")
    assert forbidden.count() == 0
    assert page.locator("button, a, input[type=submit]").filter(has_text="Publish").count() == 0
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/")
    assert page.locator("a.oc-open-canvas").count() == 1
    assert page.locator("button, a, input[type=submit]").filter(has_text="Approve").count() == 0
    assert page.locator("button, a, input[type=submit]").filter(has_text="Publish").count() == 0
    # and Delete, Ctrl+Z restores the activity on the canvas
    _canvas(page, live_server, campaign)
    _select(page, "done")
    page.locator("#oc-drawflow").focus()
    page.keyboard.press("Delete")
    assert _node(page, "done").count() == 0
    page.keyboard.press("Control+z")
    assert _node(page, "done").count() == 1
    assert console_errors == []


def test_rule_builder_collection_and_aggregate_count_matches_the_api(
    page, live_server, login, shop, console_errors, screenshot
):
    # given the standalone rule builder on customers
    from audiences.query import services as rules

    login(shop["admin"])
    page.goto(f"{live_server.url}/admin/audiences/rule-builder/")
    page.wait_for_selector("body.oc-rule-ready")
    page.select_option("#oc-dimension", str(shop["dimension"].pk))
    root = page.locator("#oc-rule-builder .oc-rule > .oc-rule-node > .oc-rule-line")
    # when a collection condition (bought for more than 100) and an aggregate (spent over 300) are built
    root.locator(".oc-add-exists").click()
    page.select_option(".oc-rule-collection .oc-rule-link", "purchases")
    _condition(page, page.locator(".oc-rule-collection .oc-rule-group").first, "amount", "100", "greater")
    root.locator(".oc-add-aggregate").click()
    page.select_option(".oc-rule-aggregate .oc-rule-link", "purchases")
    page.select_option(".oc-rule-aggregate .oc-rule-function", "sum")
    page.select_option(".oc-rule-aggregate .oc-rule-aggregate-field", "amount")
    page.select_option(".oc-rule-aggregate .oc-rule-operator", "greater")
    value = page.locator(".oc-rule-aggregate .oc-rule-value")
    value.fill("300")
    value.press("Tab")
    page.click(".oc-calculate")
    page.wait_for_selector(".oc-rule-output .oc-count, .oc-rule-output .errorlist")
    assert page.locator(".oc-rule-output .errorlist").count() == 0, page.locator(
        ".oc-rule-output"
    ).inner_text()
    # then Calculate shows the exact count of the rule service for the same rule
    shown = int(page.locator(".oc-count-value").text_content())
    rule = page.evaluate("window.ocRuleBuilder.value()")
    assert [c["type"] for c in rule["children"]] == ["exists", "aggregate"]
    assert rule["children"][1] == {
        "type": "aggregate",
        "link": "purchases",
        "function": "sum",
        "field": "amount",
        "operator": "greater",
        "value": 300,
    }
    expected = rules.rule_count(actor=shop["admin"], dimension=shop["dimension"], rule=rule)
    assert shown == expected
    assert 0 < expected < 300
    # and the code view shows the SQL with the values as parameters
    page.click(".oc-code-view")
    assert "SELECT" in page.locator(".oc-sql").text_content()
    screenshot("rule-builder")
    assert console_errors == []


def test_campaign_list_columns_and_canvas_in_traditional_chinese(
    page, live_server, login, shop, console_errors, screenshot
):
    campaign = _ready_campaign(shop["admin"], shop)
    login(shop["admin"], language="zh-hant")
    page.goto(f"{live_server.url}/admin/campaigns/campaign/")
    assert page.locator("td.field-last_run").first.text_content().strip() not in ("", "-")
    _canvas(page, live_server, campaign)
    assert page.locator("html").get_attribute("lang") == "zh-hant"
    assert page.locator("#oc-run-start").inner_text() == "開始測試執行"  # the JavaScript catalog
    assert page.locator(".oc-palette-group h3").first.inner_text() in ("目標設定", "流程控制", "通路")
    # and the campaign's delivery report is one click away
    page.click("a.oc-report-link")
    page.wait_for_load_state("networkidle")
    assert f"campaign={campaign.pk}" in page.url
    screenshot("report-page-zh-hant")
    assert console_errors == []
