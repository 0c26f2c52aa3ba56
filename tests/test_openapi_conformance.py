"""Schemathesis against the OpenAPI document: every operation and every method, as an Administrator
with a token, never answers a server error, and every answer (status code, content type, body) is one
the document states. Bounded (a few examples per operation) so it stays a CI test, not a fuzzing
campaign.

Half the examples name objects that exist (a shop catalog, a campaign in review with its test run, an
audience, a saved filter, channel settings), so the answers checked are real objects, not only 404s.

The run uses a dedicated Administrator that it cannot demote: ``PUT /users/{id}/profiles/`` never
targets the runner (the case is dropped), so every other operation keeps running as an Administrator.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.permissions import user_profiles
from accounts.profiles import ProductProfile

MAX_EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


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


def _world(make_user) -> dict[str, dict[str, object]]:
    """Objects the run may name, by the route's first segment and path parameter."""
    from audiences.catalog.models import Link
    from audiences.ingestion.services import records_upsert
    from audiences.saved.services import audience_create, saved_filter_create
    from audit.models import DomainEvent
    from campaigns.lifecycle.services import campaign_request_approval
    from campaigns.models import Task
    from campaigns.tests.lifecycle_helpers import GOLD, clean_test_run, gold_campaign
    from campaigns.tests.shop import build_shop
    from channels.models import CappingRule
    from channels.services.configurations import capping_rule_save, configuration_create, suppression_add

    admin = make_user(ProductProfile.ADMINISTRATOR, username="world-admin")
    manager = make_user(ProductProfile.MANAGER, username="world-manager")
    shop = build_shop(admin, customers=20)
    customers = shop.dimensions["customers"]
    campaign = gold_campaign(manager)
    run = clean_test_run(campaign, manager)
    version = campaign_request_approval(actor=manager, campaign=campaign, comment="for the fuzzer")
    task = Task.objects.filter(run=run).order_by("id").first()
    result = run.results.order_by("id").first()
    audience = audience_create(
        actor=manager, name="Gold", dimension=customers, kind="rule", rule=GOLD, visibility="shared"
    )
    saved = saved_filter_create(actor=manager, name="Gold filter", dimension=customers, rule=GOLD)
    configuration = configuration_create(
        actor=admin,
        data={
            "name": "mail",
            "channel": "email",
            "provider": "smtp",
            "marketing": True,
            # nothing listens there: a proof the run might send is refused at once, nowhere outside
            "provider_settings": {"host": "127.0.0.1", "port": 9, "timeout": 1},
            "from_email": "news@shop.test",
            "dimension": customers,
        },
    )
    loaded = records_upsert(
        actor=admin, schema=customers.schema, records=[{"id": 999, "tier": "gold", "score": "high"}]
    )  # refused: a failed run with a reject to read
    capping = capping_rule_save(actor=admin, rule=CappingRule(channel="email", max_messages=3, period="week"))
    suppression = suppression_add(actor=admin, channel="email", address="gone@shop.test")
    event = DomainEvent.objects.order_by("id").first()
    customers_schema = customers.schema
    field = customers_schema.fields.order_by("id").first()
    link = Link.objects.order_by("id").first()
    world = {
        "audiences": {"id": audience.pk},
        "campaigns": {
            "id": campaign.pk,
            "run_id": run.pk,
            "number": version.number,
            "task_id": task.pk if task else None,
            "result_id": result.pk if result else None,
        },
        "saved-filters": {"id": saved.pk},
        "schemas": {"name": customers_schema.name, "schema_name": customers_schema.name},
        "fields": {"id": field.pk},
        "links": {"id": link.pk if link else None},
        "targeting-dimensions": {"id": customers.pk},
        "ingestion-runs": {"id": loaded.pk},
        "users": {"id": manager.pk},
        "audit-events": {"id": event.pk if event else None},
        "channel-configurations": {"id": configuration.pk},
        "capping-rules": {"id": capping.pk},
        "suppressions": {"id": suppression.pk},
    }
    return {route: {k: v for k, v in values.items() if v is not None} for route, values in world.items()}


def _route(path: str) -> str:
    return path.removeprefix("/api/v1/").split("/", 1)[0]


@pytest.mark.django_db
def test_every_operation_answers_as_documented(make_user, keep_connections):
    # given: a dedicated Administrator's token, objects to find, and the document of every operation
    from config.wsgi import application

    runner = make_user(ProductProfile.ADMINISTRATOR, username="schemathesis-runner")
    world = _world(make_user)
    token = Token.objects.create(user=runner)
    headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    failures: list[str] = []
    details: dict[str, str] = {}
    started = time.monotonic()

    def checker(operation):
        known = world.get(_route(operation.path), {})
        # A read refuses only what its document says is invalid (writes also apply business rules).
        checks = [*CHECKS, positive_data_acceptance] if operation.method.upper() == "GET" else CHECKS

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), name_known_objects=st.booleans())
        def check(case, name_known_objects):
            if name_known_objects and case.path_parameters:
                case.path_parameters = {
                    name: known.get(name, value) for name, value in case.path_parameters.items()
                }
            if operation.method.upper() == "PUT" and operation.path.endswith("/profiles/"):
                assume(str((case.path_parameters or {}).get("id")) != str(runner.pk))
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=checks)
            except FailureGroup as exc:
                for failure in exc.exceptions:
                    title = getattr(failure, "title", type(failure).__name__)
                    failures.append(f"{operation.label} -> {response.status_code}: {title}")
                    seen = f"{case.path_parameters} {case.query}: {failure} {response.text[:300]}"
                    details.setdefault(failures[-1], f"{failures[-1]} {seen}"[:1500])

        return check

    # when
    for operation in operations:
        checker(operation)()

    # then: nothing undocumented, and the runner is still an Administrator
    assert sorted(set(failures)) == [], "\n\n".join(details.values())
    runner = type(runner).objects.get(pk=runner.pk)
    assert ProductProfile.ADMINISTRATOR in user_profiles(runner)
    assert time.monotonic() - started < 300
