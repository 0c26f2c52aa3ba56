"""The API's shared behaviour: one error shape, strict filters, pagination, token auth, OpenAPI."""

from __future__ import annotations

import pytest
from rest_framework import exceptions
from rest_framework.test import APIClient

from accounts.profiles import ProductProfile
from api.errors import Conflict, exception_handler
from campaigns.services import campaign_create

pytestmark = pytest.mark.django_db


def _assert_error_shape(body: dict, status: int) -> None:
    assert set(body) == {"status", "code", "detail", "errors"}
    assert body["status"] == status


def test_unknown_query_parameter_is_refused_with_its_name(api_as, viewer):
    response = api_as(viewer).get("/api/v1/campaigns/?stauts=draft")
    assert response.status_code == 400
    _assert_error_shape(response.json(), 400)
    assert response.json()["errors"] == [
        {"field": "stauts", "code": "unknown_parameter", "message": "Unknown query parameter."}
    ]


def test_known_filters_and_ordering_are_accepted(api_as, manager):
    campaign_create(actor=manager, name="Spring sale")
    campaign_create(actor=manager, name="Winter sale")
    response = api_as(manager).get("/api/v1/campaigns/?q=spring&status=draft&ordering=name")
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"]] == ["Spring sale"]


def test_validation_errors_name_the_field(api_as, manager):
    response = api_as(manager).post("/api/v1/campaigns/", {"description": "no name"}, format="json")
    assert response.status_code == 400
    body = response.json()
    _assert_error_shape(body, 400)
    assert body["errors"][0]["field"] == "name"
    assert body["errors"][0]["code"] == "required"


def test_nothing_is_written_when_input_is_invalid(api_as, manager):
    from campaigns.models import Campaign

    api_as(manager).post("/api/v1/campaigns/", {"name": "x" * 500}, format="json")
    assert not Campaign.objects.exists()


def test_not_found_has_the_error_shape(api_as, viewer):
    for path in ("/api/v1/campaigns/999999/", "/api/v1/no-such-route/"):
        response = api_as(viewer).get(path)
        assert response.status_code == 404, path
        _assert_error_shape(response.json(), 404)


def test_anonymous_gets_401_with_a_challenge(api_client):
    response = api_client.get("/api/v1/campaigns/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    _assert_error_shape(response.json(), 401)


def test_forbidden_has_the_error_shape(api_as, viewer, manager):
    campaign = campaign_create(actor=manager, name="c")
    response = api_as(viewer).patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "y"}, format="json")
    assert response.status_code == 403
    _assert_error_shape(response.json(), 403)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Conflict(), 409, "conflict"),
        (exceptions.Throttled(wait=7), 429, "throttled"),
        (RuntimeError("boom"), 500, "server_error"),
    ],
)
def test_every_error_kind_uses_the_shape(error, status, code):
    response = exception_handler(error, {})
    assert response.status_code == status
    _assert_error_shape(response.data, status)
    assert response.data["code"] == code
    if status == 429:
        assert response["Retry-After"] == "7"


def test_pagination_is_limit_offset_and_bounded(api_as, manager):
    for i in range(3):
        campaign_create(actor=manager, name=f"c{i}")
    body = api_as(manager).get("/api/v1/campaigns/?limit=2&offset=1").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"] is None
    big = api_as(manager).get("/api/v1/campaigns/?limit=100000").json()
    assert len(big["results"]) == 3


def test_token_authentication(make_user):
    from conftest import TEST_PASSWORD

    user = make_user(ProductProfile.VIEWER)
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": TEST_PASSWORD}, format="json"
    ).json()["token"]
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response.json()["profiles"] == ["Viewer"]


def test_administrator_assigns_profiles_through_the_api(api_as, administrator, make_user):
    target = make_user(None)
    response = api_as(administrator).put(
        f"/api/v1/users/{target.pk}/profiles/", {"profiles": ["Manager", "Approver"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["profiles"] == ["Approver", "Manager"]
    target.refresh_from_db()
    assert target.is_staff


def test_openapi_schema_documents_routes_and_filters(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/campaigns/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/campaigns/"]["get"]["parameters"]}
    assert {"q", "status", "status__in", "limit", "offset", "ordering"} <= params


@pytest.mark.parametrize("path", ["/api/schema/swagger/", "/api/schema/redoc/"])
def test_api_docs_load_local_assets_only(api_client, path):
    html = api_client.get(path).content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
