"""Every admin page and API route, for every product profile and for anonymous visitors."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from accounts.profiles import ProductProfile
from conftest import ROLES, TEST_PASSWORD
from tests.role_matrix import (
    ADMIN_ACCESS,
    ADMIN_OBJECTS,
    ADMIN_SITE_ROUTES,
    ANON,
    API_ROUTES,
    NOT_PAGES,
)

ADMIN_PAGES = ("changelist", "add", "change", "delete", "history")


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _expected_admin_status(access, page: str, role: str) -> int:
    if role == ANON:
        return 302
    visible = access.view | access.change
    if page == "history" and role not in visible:
        return 302  # Django's history page answers a hidden object as a missing one: back to the index
    allowed = {
        "changelist": access.view | access.change,
        "history": access.view | access.change,
        "change": access.view | access.change,
        "add": access.add,
        "delete": access.delete,
    }[page]
    return 200 if role in allowed else 403


@pytest.fixture
def matrix_context(make_user):
    owner = make_user(ProductProfile.MANAGER, username="owner-manager")
    return {"owner": owner}


def _login(role: str, make_user):
    if role == ANON:
        return None
    return make_user(role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ADMIN_PAGES)
@pytest.mark.parametrize("label", sorted(ADMIN_ACCESS))
def test_admin_model_pages(label, page, role, make_user, matrix_context):
    # given
    user = _login(role, make_user)
    client = Client()
    if user:
        client.force_login(user)
    obj = ADMIN_OBJECTS[label](matrix_context)
    app_label, model_name = label.split(".")
    args = [obj.pk] if page in ("change", "delete", "history") else []
    # when
    response = client.get(reverse(f"admin:{app_label}_{model_name}_{page}", args=args))
    # then
    assert response.status_code == _expected_admin_status(ADMIN_ACCESS[label], page, role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ADMIN_SITE_ROUTES))
def test_admin_site_pages(name, role, make_user):
    user = _login(role, make_user)
    client = Client()
    if user:
        client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == ADMIN_SITE_ROUTES[name][role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_admin_app_index(role, make_user):
    user = _login(role, make_user)
    client = Client()
    if user:
        client.force_login(user)
    for app_label in ("campaigns", "accounts", "auth", "authtoken", "django_q"):
        response = client.get(reverse("admin:app_list", args=[app_label]))
        visible = {
            ANON: False,
            "Administrator": True,
        }.get(role, app_label in ("campaigns", "auth"))
        assert response.status_code == (302 if role == ANON else 200 if visible else 404), app_label


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in ROLES if r != ANON])
def test_admin_password_change_of_another_user(role, make_user):
    user = make_user(role)
    other = make_user(ProductProfile.VIEWER, username="target")
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:auth_user_password_change", args=[other.pk]))
    assert response.status_code == (200 if role == "Administrator" else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.id)
def test_api_routes(route, role, make_user, matrix_context):
    # given
    user = _login(role, make_user)
    from campaigns.services import campaign_create

    ctx = {
        **matrix_context,
        "campaign": campaign_create(actor=matrix_context["owner"], name="Owned by another manager"),
        "other": make_user(ProductProfile.VIEWER, username="another-viewer"),
        "username": user.username if user else "",
        "password": TEST_PASSWORD if user else "",
    }
    client = APIClient()
    if user and route.name not in ("auth-token",):
        client.force_authenticate(user)
    # when
    body = route.data(ctx) if route.data else None
    response = getattr(client, route.method)(route.path(ctx), body, format="json")
    # then
    assert response.status_code == route.expect[role], getattr(response, "data", response.content[:300])
    if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
        assert {"status", "code", "detail", "errors"} <= set(response.json())


def _named_urls(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _named_urls(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else str(pattern.name)


def test_every_admin_model_is_in_the_matrix():
    registered = {_label(model) for model in admin.site._registry}
    assert registered == set(ADMIN_ACCESS) == set(ADMIN_OBJECTS)


def test_every_named_url_is_covered():
    admin_model_pages = {
        f"admin:{label.replace('.', '_')}_{page}" for label in ADMIN_ACCESS for page in ADMIN_PAGES
    }
    covered = admin_model_pages | set(ADMIN_SITE_ROUTES) | set(NOT_PAGES) | {r.name for r in API_ROUTES}
    missing = sorted(set(_named_urls(get_resolver().url_patterns)) - covered)
    assert missing == []
