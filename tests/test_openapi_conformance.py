"""Schemathesis against the OpenAPI document: every GET route, as an Administrator with a token, never
answers a server error and every answer matches the documented schema. Bounded (a few examples per
operation) so it stays a CI test, not a fuzzing campaign."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 3


@pytest.fixture
def keep_connections():
    """Calls go straight to the WSGI app: like Django's test client, keep the test's database connection
    open across requests (the app closes connections when a request finishes)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_get_operations_answer_without_server_errors_and_match_the_schema(
    administrator, manager, keep_connections
):
    # given: an Administrator's token and a campaign to find
    from campaigns.services import campaign_create
    from config.wsgi import application

    campaign_create(actor=manager, name="Found by the fuzzer")
    token = Token.objects.create(user=administrator)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).include(method="GET")
    headers = {"Authorization": f"Token {token.key}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    def checker(operation):
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            except FailureGroup as exc:
                titles = sorted({getattr(f, "title", type(f).__name__) for f in exc.exceptions})
                failures.append(f"{operation.label} -> {response.status_code}: {', '.join(titles)}")

        return check

    # when
    for operation in operations:
        checker(operation)()
    # then
    assert sorted(set(failures)) == []
