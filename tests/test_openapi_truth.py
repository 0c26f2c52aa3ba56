"""The OpenAPI document states what the API does (issue 12 §7), and ``ordering`` is as strict as every
other query parameter (§6). Each test names a lie the document told or a parameter silently ignored."""

from __future__ import annotations

import pytest
import schemathesis
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import response_schema_conformance

from campaigns.models import Campaign
from campaigns.services import campaign_create
from tests.test_openapi_conformance import keep_connections  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(api_client):
    return api_client.get("/api/schema/?format=json").json()


@pytest.fixture
def conforms(administrator, keep_connections):  # noqa: F811
    """Call one operation through the WSGI app and check its answer against the document."""
    from config.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    headers = {"Authorization": f"Token {Token.objects.create(user=administrator).key}"}

    def check(path: str, method: str = "GET", **path_parameters):
        case = schema[path][method].Case(path_parameters=path_parameters)
        response = case.call(headers=headers)
        case.validate_response(response, checks=[response_schema_conformance])
        return response

    return check


def _component(document, name):
    return document["components"]["schemas"][name]


# --- what the document said wrongly ----------------------------------------------------------------


def test_identity_field_is_documented_and_answered_as_the_fields_name(document, conforms, administrator):
    # given: a targeting dimension whose identity field is "id"
    from campaigns.tests.shop import build_shop

    dimension = build_shop(administrator, customers=3).dimensions["customers"]
    # then: the document says string (it said integer), and the answer matches it
    properties = _component(document, "TargetingDimension")["properties"]
    assert properties["identity_field"]["type"] == "string"
    assert properties["email_field"] == {"type": "string", "readOnly": True, "nullable": True}
    response = conforms("/api/v1/targeting-dimensions/{id}/", id=dimension.pk)
    assert response.json()["identity_field"] == "id"


def test_an_audience_without_source_answers_a_blank_source_the_document_allows(
    document, conforms, administrator
):
    # given: a rule-based audience, whose source is "" (it is only set for evaluated or uploaded ones)
    from audiences.saved.services import audience_create
    from campaigns.tests.shop import build_shop

    dimension = build_shop(administrator, customers=3).dimensions["customers"]
    rule = {"type": "condition", "field": "tier", "operator": "equal", "value": "gold"}
    audience = audience_create(actor=administrator, name="Gold", dimension=dimension, kind="rule", rule=rule)
    assert audience.source == ""
    # then
    response = conforms("/api/v1/audiences/{id}/", id=audience.pk)
    assert response.json()["source"] == ""


def test_an_unpublished_version_answers_published_by_null_as_documented(
    document, conforms, administrator, manager
):
    # given: a campaign in review: nobody has published its version
    from campaigns.lifecycle.services import campaign_request_approval
    from campaigns.tests.lifecycle_helpers import clean_test_run, gold_campaign
    from campaigns.tests.shop import build_shop

    build_shop(administrator, customers=3)
    campaign = gold_campaign(manager)
    clean_test_run(campaign, manager)
    version = campaign_request_approval(actor=manager, campaign=campaign, comment="")
    # then
    for name in ("published_by", "reviewed_by"):
        assert _component(document, "Version")["properties"][name]["nullable"] is True
    response = conforms("/api/v1/campaigns/{id}/versions/{number}/", id=campaign.pk, number=version.number)
    assert response.json()["published_by"] is None


def test_deliveries_are_read_only_and_the_document_lists_no_post(document, api_as, administrator):
    # then: no POST on the collection is documented, and none is routed (the proof action stays)
    assert set(document["paths"]["/api/v1/deliveries/"]) == {"get"}
    assert "post" in document["paths"]["/api/v1/deliveries/proof/"]
    assert api_as(administrator).post("/api/v1/deliveries/", {}, format="json").status_code == 405


def test_every_operation_documents_its_error_answers_in_the_one_error_shape(document):
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400"}
            if operation.get("security") != [{}] and path != "/api/v1/auth/token/":
                expected |= {"401", "403"}
            if "{" in path:
                expected.add("404")
            if method in ("post", "put", "patch"):
                expected.add("413")
            for code in expected - set(responses):
                missing.append(f"{method.upper()} {path} {code}")
            for code in expected & set(responses):
                schema = responses[code]["content"]["application/json"]["schema"]
                if schema != {"$ref": "#/components/schemas/Error"}:
                    assert "allOf" in schema or "$ref" in schema, (path, method, code)
    assert missing == []
    error = _component(document, "Error")
    assert set(error["required"]) == {"status", "code", "detail", "errors"}


def test_request_strings_refuse_nul_in_the_document_as_the_api_does(document, api_as, manager):
    # given: the document's pattern for a campaign's name
    pattern = _component(document, "CampaignRequest")["properties"]["name"]["pattern"]
    assert pattern == "^[^\\x00]*$"
    # then: a name with NUL is refused, as the pattern says
    response = api_as(manager).post("/api/v1/campaigns/", {"name": "a\x00b"}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize("value", [123, 4.5, True])
def test_a_number_or_boolean_for_a_text_field_is_a_400_naming_the_field(api_as, manager, value):
    # given: the document says a campaign's name is a string
    # when: a JSON number or boolean is sent instead (DRF used to store it as "123")
    response = api_as(manager).post("/api/v1/campaigns/", {"name": value}, format="json")
    # then
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["name"]
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("value", [str(2**63), "4786434336211317557371473540019126272", str(-(2**63) - 1)])
def test_an_integer_parameter_beyond_64_bits_is_a_400_naming_it(api_as, administrator, value):
    # found by the conformance run: an OverflowError (500) when the value reached the query
    response = api_as(administrator).get("/api/v1/deliveries/report/", {"campaign": value})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["campaign"]


def test_text_fields_still_take_text(api_as, manager):
    response = api_as(manager).post("/api/v1/campaigns/", {"name": "123"}, format="json")
    assert response.status_code == 201 and response.json()["name"] == "123"


# --- query parameters that were silently ignored ---------------------------------------------------


def test_unknown_ordering_is_a_400_naming_ordering(api_as, manager):
    # given
    campaign_create(actor=manager, name="b")
    campaign_create(actor=manager, name="a")
    client = api_as(manager)
    # when
    response = client.get("/api/v1/campaigns/?ordering=nmae")
    # then
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert [e["field"] for e in body["errors"]] == ["ordering"]
    assert "nmae" in body["errors"][0]["message"]
    # and known terms still order, ascending or descending, one or several
    assert [c["name"] for c in client.get("/api/v1/campaigns/?ordering=-name").json()["results"]] == [
        "b",
        "a",
    ]
    assert client.get("/api/v1/campaigns/?ordering=name,-created_at").status_code == 200
    assert client.get("/api/v1/campaigns/?ordering=name,bogus").status_code == 400


def test_the_document_lists_the_ordering_terms(document):
    parameter = next(
        p for p in document["paths"]["/api/v1/audit-events/"]["get"]["parameters"] if p["name"] == "ordering"
    )
    assert parameter["schema"]["pattern"] == "^-?(at|id|kind)(,-?(at|id|kind))*$"


@pytest.mark.parametrize(
    "query",
    ["limit=ten", "limit=0", "limit=-3", "offset=-1", "offset=1.5", "offset=99999999999999999999"],
)
def test_pagination_parameters_that_are_not_whole_numbers_in_range_are_a_400(api_as, manager, query):
    response = api_as(manager).get(f"/api/v1/campaigns/?{query}")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [query.split("=")[0]]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/deliveries/", "campaign_id=-6.07e159", "campaign_id"),
        ("/api/v1/deliveries/", "run_id=99999999999999999999", "run_id"),
        ("/api/v1/audiences/", "dimension_id=1.5", "dimension_id"),
        ("/api/v1/links/", "source_id=9223372036854775808", "source_id"),
        ("/api/v1/saved-filters/", "favourite=maybe", "favourite"),
        ("/api/v1/deliveries/", "is_proof=yes", "is_proof"),
    ],
)
def test_ids_beyond_64_bits_and_flags_that_are_not_booleans_are_a_400(
    api_as, administrator, path, query, field
):
    # before: the database overflowed (500), or the flag was ignored and everything listed
    response = api_as(administrator).get(f"{path}?{query}")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_ids_and_flags_in_range_still_filter(api_as, administrator):
    client = api_as(administrator)
    assert client.get("/api/v1/deliveries/?campaign_id=9223372036854775807&is_proof=false").status_code == 200
    assert client.get("/api/v1/saved-filters/?favourite=true&owner_id=-1").status_code == 200


def test_date_time_filters_with_any_offset_are_compared_in_utc(api_as, administrator):
    # before: PostgreSQL refused the -22:15 offset (over 15:59) and the request answered 500
    client = api_as(administrator)
    assert client.get("/api/v1/audit-events/?at_after=0343-10-20T13:23:20-22:15").status_code == 200
    assert client.get("/api/v1/audit-events/?at_before=2026-01-01T00:00:00%2B23:59").status_code == 200
    # a date-time that leaves the calendar once in UTC is a 400 naming the parameter
    response = client.get("/api/v1/audit-events/?at_after=0001-01-01T00:00:00%2B05:00")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["at_after"]
