"""A campaign's inline rules are limited on personal fields like the rule builder's (ADR 0004): a
user without the personal-data preview permission cannot save a Build audience (or Split) whose
condition reads a personal field character by character, so test-run counts are no oracle either."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.permissions import can_preview_personal_data
from campaigns.tests.graphs import A, T, campaign_with

pytestmark = pytest.mark.django_db

STARTS = {"type": "condition", "field": "email", "operator": "starts_with", "value": "p1"}
EQUAL = {"type": "condition", "field": "email", "operator": "equal", "value": "p1@example.test"}


def _graph(rule):
    return [A("a", "targeting.build_audience", dimension="customers", rule=rule), A("e", "flow.end")], [
        T("a", "e")
    ]


def test_a_user_without_the_permission_cannot_save_a_prefix_condition_on_a_personal_field(shop, manager):
    assert not can_preview_personal_data(manager)
    with pytest.raises(ValidationError) as raised:
        campaign_with(manager, *_graph(STARTS))
    text = str(raised.value.message_dict)
    assert "activities.a.config.rule" in text and "email" in text and "starts_with" in text


def test_exact_equality_on_a_personal_field_is_still_allowed_without_the_permission(shop, manager):
    campaign = campaign_with(manager, *_graph(EQUAL))
    assert campaign.activities.get(key="a").config["rule"] == EQUAL


def test_a_user_with_the_permission_may_save_the_prefix_condition(shop, administrator):
    assert can_preview_personal_data(administrator)
    campaign = campaign_with(administrator, *_graph(STARTS))
    assert campaign.activities.get(key="a").config["rule"] == STARTS


def test_a_split_filter_is_limited_too(shop, manager):
    activities = [
        A("a", "targeting.build_audience", dimension="customers"),
        A(
            "s",
            "targeting.split",
            subsets=[{"code": "x", "label": "x", "filter": STARTS}],
        ),
        A("e", "flow.end"),
        A("f", "flow.end"),
    ]
    with pytest.raises(ValidationError) as raised:
        campaign_with(manager, activities, [T("a", "s"), T("s", "e", "x"), T("s", "f", "remainder")])
    assert "starts_with" in str(raised.value.message_dict)
