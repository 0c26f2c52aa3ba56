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
