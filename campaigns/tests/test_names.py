"""Names people read refuse hidden characters and look-alikes of an existing name (issue 12, section 6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.names import display_name_problem, folded, lookalike_of
from audiences.saved import services as saved_services
from campaigns.services.campaigns import campaign_create
from campaigns.tests.graphs import A, T

GOLD = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}


@pytest.mark.parametrize(
    "name",
    [
        "Spring\u202esale",  # right-to-left override: reads backwards
        "Spring\u2066sale",  # isolate
        "Spring\u200fsale",  # right-to-left mark
        "Spring\nsale",
        "Spring\rsale",
        "Spring\u2028sale",
        "Spring\x07sale",
    ],
)
def test_hidden_characters_are_named(name):
    assert display_name_problem(name)
    assert display_name_problem("Spring sale — 春季 \u00e9t\u00e9") is None


def test_full_width_and_spacing_variants_fold_together_but_an_identical_name_is_no_lookalike():
    full_width = "\uff33\uff50\uff52\uff49\uff4e\uff47 \uff53\uff41\uff4c\uff45"
    assert folded(full_width) == folded("Spring \u3000 sale") == "Spring sale"
    assert lookalike_of("SPRING SALE", ["Spring sale"]) is None
    assert lookalike_of(full_width, ["Spring sale", "Autumn"]) == "Spring sale"
    assert lookalike_of("Spring sale", ["Spring sale"]) is None
    assert lookalike_of("Spring sales", ["Spring sale"]) is None


@pytest.mark.django_db
def test_a_campaign_name_with_a_bidi_override_or_a_full_width_lookalike_is_refused(shop, manager, api_as):
    campaign_create(actor=manager, name="Spring sale")
    with pytest.raises(ValidationError) as refused:
        campaign_create(actor=manager, name="\uff33\uff50\uff52\uff49\uff4e\uff47 sale")
    assert "Spring sale" in refused.value.message_dict["name"][0]
    response = api_as(manager).post("/api/v1/campaigns/", {"name": "exe.\u202egpj"}, format="json")
    assert response.status_code == 400, response.json()
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


@pytest.mark.django_db
def test_a_saved_filter_name_with_a_line_break_is_refused_and_nothing_is_saved(shop, manager):
    from audiences.saved.models import SavedFilter

    with pytest.raises(ValidationError) as refused:
        saved_services.saved_filter_create(
            actor=manager, name="Gold\nApproved by legal", dimension=shop.dimensions["customers"], rule=GOLD
        )
    assert "name" in refused.value.message_dict
    assert not SavedFilter.objects.exists()


@pytest.mark.django_db
def test_an_activity_label_with_a_bidi_control_is_refused_naming_the_activity(shop, manager, api_as):
    campaign = campaign_create(actor=manager, name="Labels")
    document = {
        "version": 0,
        "activities": [
            {**A("a", "targeting.build_audience", dimension="customers", rule=GOLD), "label": "VIP\u202e"},
            A("e", "flow.end"),
        ],
        "transitions": [T("a", "e")],
    }
    response = api_as(manager).put(f"/api/v1/campaigns/{campaign.pk}/graph/", document, format="json")
    assert response.status_code == 400, response.json()
    assert [e["field"] for e in response.json()["errors"]] == ["activities.a.label"], response.json()
