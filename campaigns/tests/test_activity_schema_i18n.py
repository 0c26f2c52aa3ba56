"""The canvas's activity schemas in the request's language: every registered setting and choice has a
translatable label, every type a description, and GET /api/v1/activity-schemas/ answers in the
language of the django_language cookie (or Accept-Language) while the machine values stay as they are."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from campaigns.activities import registry
from campaigns.activities.labels import CHOICE_LABELS, FIELD_LABELS
from campaigns.api.schema_views import activity_type_description

HAN = re.compile(r"[\u4e00-\u9fff]")


def _walk(schema, names: set, choices: set):
    if not isinstance(schema, dict):
        return
    choices.update(schema.get("enum", []))
    for name, prop in schema.get("properties", {}).items():
        names.add(name)
        _walk(prop, names, choices)
    _walk(schema.get("items"), names, choices)
    for option in schema.get("anyOf", []):
        _walk(option, names, choices)


def test_every_registered_setting_and_choice_has_a_label_and_every_type_a_description():
    # given every registered type's schema
    names, choices, undescribed = set(), set(), []
    with translation.override("en"):
        for key, activity_type in registry.all_types().items():
            described = activity_type_description(key, activity_type)
            _walk(described["schema"], names, choices)
            if not activity_type.description:
                undescribed.append(key)
    # then each one is in the vocabulary the schema API translates
    assert sorted(names - FIELD_LABELS.keys()) == []
    assert sorted(choices - CHOICE_LABELS.keys()) == []
    assert undescribed == []


def _by_key(response):
    assert response.status_code == 200
    return {t["key"]: t for t in response.json()}


@pytest.mark.django_db
def test_activity_schemas_answer_in_the_cookie_language(api_as, administrator):
    # given a client whose language cookie says Traditional Chinese
    client = api_as(administrator)
    client.cookies["django_language"] = "zh-hant"
    # when the canvas reads the activity schemas
    types = _by_key(client.get("/api/v1/activity-schemas/"))
    # then labels, descriptions, setting titles and choice labels are Chinese, the values unchanged
    build = types["targeting.build_audience"]
    assert build["label"] == "建立受眾"
    assert build["description"] == "以規則鎖定母體\uff1b大多數行銷活動的起點。"
    titles = {name: prop["title"] for name, prop in build["schema"]["properties"].items()}
    assert titles == {"dimension": "維度", "rule": "規則", "activate_when_empty": "為空時仍啟用"}
    mode = types["targeting.split"]["schema"]["properties"]["mode"]
    assert mode["enum"] == ["first_match", "overlap"]
    assert mode["x-enum-labels"] == ["第一個符合", "可重疊"]
    for described in types.values():
        assert HAN.search(described["label"]), described["label"]
        assert HAN.search(described["description"]), described["description"]
        for name, prop in described["schema"]["properties"].items():
            assert HAN.search(prop["title"]) or prop["title"] == "HTML", (described["key"], name)


@pytest.mark.django_db
def test_activity_schemas_answer_in_english_without_a_preference_and_by_accept_language(
    api_as, administrator
):
    client = api_as(administrator)
    build = _by_key(client.get("/api/v1/activity-schemas/"))["targeting.build_audience"]
    assert build["schema"]["properties"]["activate_when_empty"]["title"] == "Activate when empty"
    assert build["description"] == "Targets a population with a rule; the starting point of most campaigns."
    chinese = _by_key(client.get("/api/v1/activity-schemas/", HTTP_ACCEPT_LANGUAGE="zh-Hant"))
    assert chinese["targeting.build_audience"]["schema"]["properties"]["rule"]["title"] == "規則"


@pytest.mark.django_db
def test_a_setting_whose_name_means_something_else_in_one_configuration_has_its_own_label(
    api_as, administrator
):
    # given the push content's "link" (a web address) and Change dimension's "link" (a catalog link)
    client = api_as(administrator)
    client.cookies["django_language"] = "zh-hant"
    # when
    types = _by_key(client.get("/api/v1/activity-schemas/"))
    # then each reads as what it is
    push = types["channel.push"]["schema"]["properties"]["content"]
    push_link = push.get("properties", {}).get("link") or next(
        o["properties"]["link"] for o in push.get("anyOf", []) if "properties" in o
    )
    assert push_link["title"] == "要開啟的網址"
    change = types["targeting.change_dimension"]["schema"]["properties"]["link"]
    assert change["title"] == "關聯"
