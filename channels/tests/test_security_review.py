"""Security review fixes: webhook signatures with odd headers, the template sandbox's bounds, provider
secrets and suppressed addresses hidden from users who may only view, the ledger admin per request."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from channels.providers.base import sign_body, signature_ok

pytestmark = pytest.mark.django_db


def test_a_non_ascii_signature_header_is_refused_not_a_server_error(
    catalog, campaign, email_configuration, smtp_sink
):
    from channels.services.configurations import configuration_update

    # given
    configuration_update(
        actor=catalog["admin"],
        configuration=email_configuration,
        data={"provider_settings": {"host": "127.0.0.1", "port": smtp_sink.port, "webhook_secret": "hook"}},
    )
    body = json.dumps({"events": []}).encode()
    client = Client(raise_request_exception=False)
    # when
    response = client.post(
        f"/t/hooks/{email_configuration.pk}/",
        body,
        content_type="application/json",
        headers={"X-OC-Signature": "sha256=\u00e9\u00e9\u00e9"},
    )
    # then
    assert response.status_code == 403
    assert signature_ok("hook", body, "sha256=\u00e9") is False
    assert signature_ok("hook", body, "\ud800") is False
    assert signature_ok("hook", body, sign_body("hook", body)) is True


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x' * 10**10 }}",
        "{{ 10**10 * 'x' }}",
        "{{ [1] * 1000000 }}",
        "{{ 2 ** 1000 }}",
        "{{ (10 ** 100) ** 100 }}",
        "{{ 'x'|center(10**9) }}",
        "{{ 'x'.ljust(10**9) }}",
    ],
)
def test_the_sandbox_refuses_runaway_arithmetic(source):
    from channels.personalization.templates import TemplateProblem, render

    # when / then: a clear template error, quickly, instead of gigabytes
    with pytest.raises(TemplateProblem, match=r"not allowed|too large"):
        render(source, {})


def test_ordinary_arithmetic_still_renders():
    from channels.personalization.templates import render

    # when / then
    rendered = render("{{ 'ab' * 3 }} {{ 2 ** 10 }} {{ 3 * 4 }} {{ 'x'|center(5) }}|", {})
    assert rendered == "ababab 1024 12   x  |"


def test_the_rendered_output_is_capped(settings):
    from channels.personalization.templates import TemplateProblem, render

    # given
    settings.OC_TEMPLATE_MAX_OUTPUT = 50_000
    # when / then: each piece is small, the whole is not
    with pytest.raises(TemplateProblem, match="longer than 50000 characters"):
        render("{% for i in range(1000) %}{{ 'y' * 1000 }}{% endfor %}", {})
    assert len(render("{% for i in range(40) %}{{ 'y' * 1000 }}{% endfor %}", {})) == 40_000
