"""Fixtures shared by every test: users with each product profile, API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.profiles import ProductProfile
from accounts.services import user_create

TEST_PASSWORD = "pw-12345!"  # noqa: S105
ROLES = ("anonymous", *[p.value for p in ProductProfile])


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def make(profile: ProductProfile | str | None = None, **extra):
        counter["n"] += 1
        name = extra.pop("username", f"{(profile or 'nobody')!s}-{counter['n']}".lower())
        profiles = [profile] if profile else []
        email = f"{name}@example.test"
        return user_create(username=name, email=email, password=TEST_PASSWORD, profiles=profiles, **extra)

    return make


@pytest.fixture
def administrator(make_user):
    return make_user(ProductProfile.ADMINISTRATOR)


@pytest.fixture
def approver(make_user):
    return make_user(ProductProfile.APPROVER)


@pytest.fixture
def manager(make_user):
    return make_user(ProductProfile.MANAGER)


@pytest.fixture
def viewer(make_user):
    return make_user(ProductProfile.VIEWER)


@pytest.fixture
def role_users(administrator, approver, manager, viewer):
    """One user per role; ``anonymous`` is None."""
    return {
        "anonymous": None,
        ProductProfile.ADMINISTRATOR.value: administrator,
        ProductProfile.APPROVER.value: approver,
        ProductProfile.MANAGER.value: manager,
        ProductProfile.VIEWER.value: viewer,
    }


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    def login(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _drop_platform_tables_after_transactional_tests(request):
    """Tests that really commit leave the tables the platform created (managed schemas, working
    tables, audience members); Django's flush empties only its own. Drop those after such tests so
    the next test starts from the same empty database."""
    yield
    marker = request.node.get_closest_marker("django_db")
    committed = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    if not committed and not (marker and marker.kwargs.get("transaction")):
        return
    from django.conf import settings
    from django.db import connection

    cache_tables = {c.get("LOCATION") for c in settings.CACHES.values()}
    with connection.cursor() as cursor:
        django_tables = set(connection.introspection.django_table_names(include_views=False))
        leftovers = [
            name
            for name in connection.introspection.table_names(cursor)
            if name.startswith("oc_") and name not in django_tables and name not in cache_tables
        ]
        quote = connection.ops.quote_name
        for name in leftovers:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(name)}")  # names read from the database itself


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request through the test client leaves its language (a zh-hant cookie) active in this thread:
    LocaleMiddleware never deactivates it. Back to the default so the next test's messages are English."""
    yield
    from django.utils import translation

    translation.deactivate()
