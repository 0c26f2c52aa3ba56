"""The standalone rule builder in a real browser: the "Values…" list from the distribution endpoint, the
expression editor (error at its position, function palette from the registry), saved filters
(parameters, favourites first, apply as a reference, editable copy). Every count shown is compared
with the rule service's count for the same rule."""

from __future__ import annotations

import pytest

from accounts.profiles import ProductProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(make_user):
    """The demo retail model on a small population."""
    from audiences.catalog.models import TargetingDimension
    from audiences.demo.build import demo_build

    admin = make_user(ProductProfile.ADMINISTRATOR, username="rules-admin")
    demo_build(actor=admin, customers=200, seed=5)
    return {"admin": admin, "dimension": TargetingDimension.objects.get(schema__name="customer")}


def _open(page, live_server, shop):
    page.goto(f"{live_server.url}/admin/audiences/rule-builder/")
    page.wait_for_selector("body.oc-rule-ready")
    page.select_option("#oc-dimension", str(shop["dimension"].pk))


def _add_condition(page, field):
    page.locator("#oc-rule-builder .oc-rule > .oc-rule-node > .oc-rule-line .oc-add-condition").click()
    page.locator(".oc-rule-field", has_text="Choose an attribute").last.click()
    page.click(f".oc-picker-field[data-field='{field}']")


def _calculate(page) -> int:
    page.locator(".oc-rule-output").evaluate("el => el.replaceChildren()")
    page.click(".oc-calculate")
    page.wait_for_selector(".oc-rule-output .oc-count, .oc-rule-output .errorlist")
    assert page.locator(".oc-rule-output .errorlist").count() == 0, page.locator(
        ".oc-rule-output"
    ).inner_text()
    return int(page.locator(".oc-count-value").text_content())


def _js_number(number: float) -> str:
    """A number as JavaScript prints it (30.0 is "30")."""
    return str(int(number)) if float(number).is_integer() else str(number)


def _rule(page):
    return page.evaluate("window.ocRuleBuilder.value()")


def test_values_list_shows_the_distribution_and_fills_the_value(
    page, live_server, login, shop, console_errors, screenshot
):
    # given a condition on the loyalty tier
    from audiences.query import services as rules

    admin, dimension = shop["admin"], shop["dimension"]
    login(admin)
    _open(page, live_server, shop)
    _add_condition(page, "loyalty_tier")
    # when the "Values…" list is opened
    page.click(".oc-rule-values")
    page.wait_for_selector(".oc-distribution .oc-distribution-value")
    assert page.locator(".oc-rule-values").get_attribute("aria-expanded") == "true"
    # and pressed again it closes the list, a third time it opens one list (never two)
    page.click(".oc-rule-values")
    assert page.locator(".oc-distribution").count() == 0
    assert page.locator(".oc-rule-values").get_attribute("aria-expanded") == "false"
    page.click(".oc-rule-values")
    page.wait_for_selector(".oc-distribution .oc-distribution-value")
    assert page.locator(".oc-distribution").count() == 1
    # and a redraw of the tree (a change elsewhere, one landing while the list loads) keeps it open
    page.evaluate("window.ocRuleBuilder.render()")
    assert page.locator(".oc-distribution .oc-distribution-value").count() >= 3
    assert page.locator(".oc-rule-values").get_attribute("aria-expanded") == "true"
    # then it lists the field's values with their counts, as the distribution service computes them
    expected = rules.rule_distribution(actor=admin, dimension=dimension, rule=None, field="loyalty_tier")
    options = page.locator(".oc-distribution .oc-distribution-value")
    shown = [
        (
            option.evaluate("el => el.firstChild.textContent"),
            option.locator("small").text_content().strip(),
        )
        for option in options.all()
    ]
    assert shown == [(v["value"], f"{v['count']} ({_js_number(v['percent'])}%)") for v in expected["values"]]
    assert len(shown) >= 3 and sum(v["count"] for v in expected["values"]) == expected["total"] == 200
    screenshot("rule-builder-values")
    # when the least frequent value is chosen
    chosen = expected["values"][-1]
    options.nth(len(shown) - 1).click()
    # then the value is filled in and Calculate shows the rule service's count
    assert page.locator(".oc-rule-value").input_value() == chosen["value"]
    assert page.locator(".oc-distribution").count() == 0
    rule = _rule(page)
    assert rule["children"] == [
        {"type": "condition", "field": "loyalty_tier", "operator": "equal", "value": chosen["value"]}
    ]
    shown_count = _calculate(page)
    assert shown_count == rules.rule_count(actor=admin, dimension=dimension, rule=rule) == chosen["count"]
    assert console_errors == []


def test_expression_editor_marks_the_error_and_offers_the_registry_functions(
    page, live_server, login, shop, console_errors, screenshot
):
    # given a condition whose left side is an expression
    from audiences.admin_rule_builder import _functions
    from audiences.query import services as rules

    admin, dimension = shop["admin"], shop["dimension"]
    login(admin)
    _open(page, live_server, shop)
    _add_condition(page, "loyalty_points")
    page.select_option(".oc-rule-left", "expression")
    editor = page.locator(".oc-expression-input")
    # when an expression with an error is typed
    broken = "@loyalty_points + * 2"
    editor.fill(broken)
    editor.press("Tab")
    # then the error is shown with the faulty part highlighted at its position
    mark = page.locator(".oc-expression-error .oc-expression-mark mark")
    mark.wait_for()
    check = page.request.post(
        f"{live_server.url}/api/v1/rule-builder/expression/",
        data={"dimension": dimension.pk, "expression": broken},
        headers={"X-CSRFToken": _csrf(page)},
    ).json()["error"]
    assert check["offset"] == broken.index("*")
    assert mark.text_content() == "*"
    assert page.locator(".oc-expression-mark").text_content() == broken
    message = page.locator(".oc-expression-error").text_content()
    assert f"line {check['line']}, column {check['column']}" in message
    # the highlighted expression and the message are apart, not run together
    assert message.startswith(f"{broken} {check['message']}"), message
    assert editor.evaluate("el => [el.selectionStart, el.selectionEnd]") == [
        check["offset"],
        check["offset"] + 1,
    ]
    screenshot("rule-builder-expression-error")

    # and the palette lists the registry's row functions (no aggregate or window function)
    page.locator(".oc-functions summary").click()
    listed = page.locator(".oc-functions .oc-function").evaluate_all(
        "els => els.map((e) => e.dataset.function)"
    )
    registry = [f["name"] for f in _functions() if not f["aggregate"] and not f["window"]]
    assert listed == registry
    assert {"Abs", "Upper", "YearsOld"} <= set(listed) and "Sum" not in listed and "RowId" not in listed
    # when the expression is emptied and a function is clicked, it is inserted with the cursor inside
    editor.fill("")
    page.locator(".oc-functions .oc-function[data-function='Abs']").click()
    assert editor.input_value() == "Abs()"
    assert editor.evaluate("el => [el.selectionStart, document.activeElement === el]") == [4, True]
    page.keyboard.type("@loyalty_points - 500")
    editor.press("Tab")
    # then the valid expression is checked, and its condition counts as the rule service does
    page.wait_for_selector(".oc-expression-error .oc-ok")
    assert page.locator(".oc-expression-error .oc-ok").text_content() == "OK: integer"
    page.select_option(".oc-rule-operator", "less")
    value = page.locator(".oc-rule-value")
    value.fill("200")
    value.press("Tab")
    rule = _rule(page)  # the value stays text beside an expression: the compiler types it from the expression
    assert rule["children"] == [
        {"type": "condition", "left": "Abs(@loyalty_points - 500)", "operator": "less", "value": "200"}
    ]
    shown = _calculate(page)
    assert shown == rules.rule_count(actor=admin, dimension=dimension, rule=rule)
    between = {
        "type": "condition",
        "field": "loyalty_points",
        "operator": "between",
        "values": [301, 699],
    }
    assert shown == rules.rule_count(actor=admin, dimension=dimension, rule=between)
    assert 0 < shown < 200
    assert console_errors == []


def _csrf(page) -> str:
    return page.locator("input[name=csrfmiddlewaretoken]").first.input_value()


def _saved_names(page) -> list[str]:
    page.wait_for_selector("#oc-saved-list li[data-id]")
    return page.locator("#oc-saved-list li[data-id] strong").all_text_contents()


def test_saved_filter_with_a_parameter_favourites_apply_and_copy(
    page, live_server, login, shop, console_errors, screenshot
):
    from audiences.query import services as rules
    from audiences.saved.models import SavedFilter
    from audiences.saved.services import saved_filter_create

    admin, dimension = shop["admin"], shop["dimension"]
    # given an older saved filter whose name sorts first
    saved_filter_create(
        actor=admin,
        name="Alpha gold",
        dimension=dimension,
        rule={"type": "condition", "field": "loyalty_tier", "operator": "equal", "value": "gold"},
    )
    login(admin)
    _open(page, live_server, shop)
    assert _saved_names(page) == ["Alpha gold"]
    # and a rule comparing the loyalty points with a parameter
    _add_condition(page, "loyalty_points")
    page.select_option(".oc-rule-operator", "greater")
    page.select_option(".oc-rule-right", "parameter")
    parameter = page.locator(".oc-rule-parameter")
    parameter.fill("min_points")
    parameter.press("Tab")
    built = _rule(page)

    # when it is saved as a saved filter declaring that parameter (without a default)
    page.fill("#oc-save-name", "Points above")
    page.fill("#oc-save-parameters", '[{"name": "min_points", "type": "integer", "label": "Minimum points"}]')
    page.click("#oc-save-filter")
    page.wait_for_selector("#oc-rule-messages.oc-message-success")
    # then it is stored as built, and listed after the older one (by name)
    saved = SavedFilter.objects.get(name="Points above")
    assert saved.rule == built and saved.parameters[0]["name"] == "min_points"
    page.wait_for_selector(f"#oc-saved-list li[data-id='{saved.pk}']")
    assert _saved_names(page) == ["Alpha gold", "Points above"]

    # when it is marked as a favourite
    mine = page.locator(f"#oc-saved-list li[data-id='{saved.pk}']")
    mine.locator(".oc-favourite").click()
    page.wait_for_selector(f"#oc-saved-list li[data-id='{saved.pk}'] .oc-favourite[aria-pressed='true']")
    # then it is listed first, with a full star
    assert _saved_names(page) == ["Points above", "Alpha gold"]
    assert mine.locator(".oc-favourite").text_content() == "★"
    assert page.locator("#oc-saved-list li[data-id] .oc-favourite").all_text_contents() == ["★", "☆"]
    screenshot("rule-builder-saved-filters")
    # and unmarking it puts it back in name order
    mine.locator(".oc-favourite").click()
    page.wait_for_selector(f"#oc-saved-list li[data-id='{saved.pk}'] .oc-favourite[aria-pressed='false']")
    assert _saved_names(page) == ["Alpha gold", "Points above"]
    assert page.locator("#oc-saved-list li[data-id] .oc-favourite").all_text_contents() == ["☆", "☆"]

    # when the builder is emptied and the saved filter is applied with a parameter value
    page.locator(".oc-rule-condition .oc-rule-tools .oc-danger").click()
    assert _rule(page) is None
    mine.locator(".oc-apply").click()
    box = page.locator("#oc-apply-box")
    box.get_by_label("Minimum points").fill("700")
    box.locator(".oc-apply-confirm").click()
    page.wait_for_selector(".oc-rule-saved select")
    # then the rule holds a reference with that value, and Calculate shows the service's count
    rule = _rule(page)
    assert rule["children"] == [{"type": "saved_filter", "id": saved.pk, "parameters": {"min_points": 700}}]
    shown = _calculate(page)
    assert shown == rules.rule_count(actor=admin, dimension=dimension, rule=rule)
    direct = {"type": "condition", "field": "loyalty_points", "operator": "greater", "value": 700}
    assert shown == rules.rule_count(actor=admin, dimension=dimension, rule=direct)
    assert 0 < shown < 200

    # when an editable copy is loaded
    mine.locator(".oc-edit-copy").click()
    page.wait_for_selector(".oc-rule-condition .oc-rule-parameter")
    # then the builder holds the saved tree, and editing it leaves the saved filter unchanged
    assert _rule(page) == built
    assert page.locator(".oc-rule-parameter").input_value() == "min_points"
    page.select_option(".oc-rule-right", "value")
    value = page.locator(".oc-rule-value")
    value.fill("100")
    value.press("Tab")
    assert _rule(page)["children"][0]["value"] == 100
    saved.refresh_from_db()
    assert saved.rule == built
    assert console_errors == []
