"""The rule builder offers, on a personal field, only the operators the server allows the user
(ADR 0004): without the personal-data preview permission, emptiness and equality; with it, all."""

from __future__ import annotations

import pytest

from accounts.permissions import can_preview_personal_data
from accounts.profiles import ProductProfile
from tests.browser.test_rule_builder_ui import _add_condition, _open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(make_user):
    from audiences.catalog.models import Field, TargetingDimension
    from audiences.demo.build import demo_build

    admin = make_user(ProductProfile.ADMINISTRATOR, username="rules-admin")
    demo_build(actor=admin, customers=50, seed=5)
    dimension = TargetingDimension.objects.get(schema__name="customer")
    assert Field.objects.get(schema=dimension.schema, name="email").is_personal
    return {"admin": admin, "dimension": dimension}


def _operator_labels(page) -> list[str]:
    return [o.strip() for o in page.locator(".oc-rule-operator").last.locator("option").all_inner_texts()]


def test_a_manager_without_the_permission_is_offered_only_the_allowed_operators_on_a_personal_field(
    page, live_server, login, shop, make_user, console_errors, screenshot
):
    manager = make_user(ProductProfile.MANAGER, username="rules-manager")
    assert not can_preview_personal_data(manager)
    login(manager)
    _open(page, live_server, shop)
    _add_condition(page, "email")
    labels = _operator_labels(page)
    screenshot("rule-builder-personal-operators")
    assert len(labels) == 3, labels
    assert not any("start" in label.lower() for label in labels)
    # a field that is not personal still offers every operator of its type
    _add_condition(page, "loyalty_tier")
    assert len(_operator_labels(page)) > 3
    assert console_errors == []


def test_an_administrator_is_offered_every_operator_on_a_personal_field(page, live_server, login, shop):
    login(shop["admin"])
    _open(page, live_server, shop)
    _add_condition(page, "email")
    labels = _operator_labels(page)
    assert len(labels) > 3 and any("start" in label.lower() for label in labels)
