"""One contract, every registered provider: its settings round-trip and junk is refused naming the
setting; a send against a real local server (aiosmtpd, pytest-httpserver) returns the provider's id;
the server's answers map to sent / transient / permanent / hard bounce the same way everywhere; an
unreachable server is transient (retry), never a failed row. A provider without a case here fails the
meta-test, so a new provider cannot skip the contract."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from werkzeug import Response

from channels.providers import registry
from channels.providers.base import OutboundMessage
from channels.tests.conftest import free_port

WRONG_TYPE = {str: 123, int: "x", float: "x", bool: "yes", dict: ["x"]}


@dataclass
class Servers:
    """The real local servers a case scripts: an aiosmtpd sink and a pytest-httpserver."""

    smtp: Any
    http: Any

    def base_url(self) -> str:
        return self.http.url_for("").rstrip("/")


def _message(to: str) -> OutboundMessage:
    return OutboundMessage(
        to=to,
        idempotency_key="oc-7-42",
        subject="Hello",
        text="Hi there",
        html="<p>Hi there</p>",
        title="Hello",
        from_email="news@shop.test",
        sender_id="SHOP",
    )


def _http_answer(servers: Servers, path: str, outcome: str, success: Response, hard: Response | None):
    answers = {
        "sent": success,
        "transient": Response("slow down", status=429, headers={"Retry-After": "7"}),
        "permanent": Response(json.dumps({"error": "bad request"}), status=403),
        "hard_bounce": hard,
    }
    servers.http.expect_request(path, method="POST").respond_with_response(answers[outcome])


class SmtpCase:
    outcomes = ("sent", "transient", "permanent", "hard_bounce")
    refusals = {
        "transient": "451 4.7.1 Try again later",
        "permanent": "554 5.7.1 Rejected by policy",
        "hard_bounce": "550 5.1.1 No such user",
    }

    def settings(self, servers: Servers, *, port: int | None = None) -> dict:
        return {"host": "127.0.0.1", "port": port or servers.smtp.port, "timeout": 5}

    def script(self, servers: Servers, outcome: str) -> tuple[OutboundMessage, str]:
        to = f"{outcome}@example.test"
        if outcome in self.refusals:
            servers.smtp.refuse[to] = self.refusals[outcome]
        return _message(to), "<oc-7-42@oc.invalid>"

    def received(self, servers: Servers) -> int:
        return len(servers.smtp.messages)

    def unreachable(self, servers: Servers) -> dict:
        return self.settings(servers, port=free_port())


class WebhookCase:
    outcomes = ("sent", "transient", "permanent")
    path = "/hook"

    def settings(self, servers: Servers, *, base: str | None = None) -> dict:
        return {"url": f"{base or servers.base_url()}{self.path}", "timeout": 5.0}

    def script(self, servers: Servers, outcome: str) -> tuple[OutboundMessage, str]:
        success = Response(json.dumps({"id": "gw-1"}), status=202, content_type="application/json")
        _http_answer(servers, self.path, outcome, success, None)
        return _message("+15550000001"), "gw-1"

    def received(self, servers: Servers) -> int:
        return len(servers.http.log)

    def unreachable(self, servers: Servers) -> dict:
        return self.settings(servers, base=f"http://127.0.0.1:{free_port()}")


class TwilioCase(WebhookCase):
    outcomes = ("sent", "transient", "permanent", "hard_bounce")
    path = "/2010-04-01/Accounts/AC1/Messages.json"

    def settings(self, servers: Servers, *, base: str | None = None) -> dict:
        return {
            "account_sid": "AC1",
            "auth_token": "t",
            "base_url": base or servers.base_url(),
            "timeout": 5.0,
        }

    def script(self, servers: Servers, outcome: str) -> tuple[OutboundMessage, str]:
        success = Response(json.dumps({"sid": "SM1"}), status=201, content_type="application/json")
        hard = Response(json.dumps({"code": 21211, "message": "invalid To"}), status=400)
        _http_answer(servers, self.path, outcome, success, hard)
        return _message("+15550000001"), "SM1"


class FcmCase(WebhookCase):
    outcomes = ("sent", "transient", "permanent", "hard_bounce")
    path = "/v1/projects/p1/messages:send"

    def settings(self, servers: Servers, *, base: str | None = None) -> dict:
        return {
            "project_id": "p1",
            "access_token": "tok",
            "base_url": base or servers.base_url(),
            "timeout": 5.0,
        }

    def script(self, servers: Servers, outcome: str) -> tuple[OutboundMessage, str]:
        success = Response(json.dumps({"name": "projects/p1/messages/9"}), content_type="application/json")
        hard = Response(
            json.dumps({"error": {"status": "NOT_FOUND", "details": ["UNREGISTERED"]}}), status=404
        )
        _http_answer(servers, self.path, outcome, success, hard)
        return _message("tok-device-0001"), "projects/p1/messages/9"


class AnymailCase(WebhookCase):
    """Mailgun's send API played by the local server (anymail's Mailgun backend, api_url pointed at it)."""

    path = "/v3/mg.shop.test/messages"

    def settings(self, servers: Servers, *, base: str | None = None) -> dict:
        return {
            "esp": "mailgun",
            "api_key": "key-1",
            "api_url": f"{base or servers.base_url()}/v3",
            "sender_domain": "mg.shop.test",
            "timeout": 5.0,
        }

    def script(self, servers: Servers, outcome: str) -> tuple[OutboundMessage, str]:
        mailgun_id = "<20261130.1@mg.shop.test>"
        success = Response(
            json.dumps({"id": mailgun_id, "message": "Queued. Thank you."}), content_type="application/json"
        )
        _http_answer(servers, self.path, outcome, success, None)
        return _message("ann@example.test"), mailgun_id


CASES = {
    "anymail": AnymailCase(),
    "smtp": SmtpCase(),
    "sms_webhook": WebhookCase(),
    "push_webhook": WebhookCase(),
    "twilio": TwilioCase(),
    "fcm": FcmCase(),
}
OUTCOMES = [(key, outcome) for key, case in CASES.items() for outcome in case.outcomes]


@pytest.fixture
def servers(smtp_sink, httpserver):
    return Servers(smtp=smtp_sink, http=httpserver)


def test_every_registered_provider_has_a_contract_case():
    assert set(registry.all_providers()) == set(CASES)


@pytest.mark.parametrize("key", sorted(CASES))
def test_settings_round_trip(key, servers):
    # given
    provider = registry.get(key)
    raw = CASES[key].settings(servers)
    # when
    parsed = provider.parse(raw)
    again = provider.parse(json.loads(json.dumps(dataclasses.asdict(parsed))))
    # then: what is stored (JSON) parses back to the same settings, defaults included
    assert again == parsed
    assert {k: v for k, v in dataclasses.asdict(parsed).items() if k in raw} == raw


@pytest.mark.parametrize("key", sorted(CASES))
def test_junk_settings_are_refused_naming_each_setting(key):
    # given: every setting with a value of the wrong type, plus one the provider does not know
    provider = registry.get(key)
    hints = {f.name: f.type for f in dataclasses.fields(provider.Settings)}
    types = {"str": str, "int": int, "float": float, "bool": bool, "dict": dict}
    junk = {name: WRONG_TYPE[types.get(hint, hint)] for name, hint in hints.items()}
    junk["no_such_setting"] = 1
    # when
    with pytest.raises(ValidationError) as wrong:
        provider.parse(junk)
    with pytest.raises(ValidationError) as not_an_object:
        provider.parse(["not", "an", "object"])
    # then
    errors = wrong.value.message_dict
    assert set(errors) == {f"provider_settings.{name}" for name in junk}
    assert errors["provider_settings.no_such_setting"] == ["Unknown setting."]
    assert set(not_an_object.value.message_dict) == {"provider_settings"}


@pytest.mark.parametrize("key", sorted(CASES))
def test_missing_required_settings_are_named(key):
    # given
    provider = registry.get(key)
    required = {
        f.name
        for f in dataclasses.fields(provider.Settings)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    # when / then
    if not required:
        assert provider.parse({}) == provider.Settings()
        return
    with pytest.raises(ValidationError) as missing:
        provider.parse({})
    assert set(missing.value.message_dict) == {f"provider_settings.{name}" for name in required}


@pytest.mark.parametrize(("key", "outcome"), OUTCOMES)
def test_send_against_a_local_server_maps_the_answer(key, outcome, servers):
    # given: the local server scripted to answer with `outcome`
    provider, case = registry.get(key), CASES[key]
    settings = provider.parse(case.settings(servers))
    message, provider_id = case.script(servers, outcome)
    # when
    with provider.open(settings) as session:
        result = session.send(message)
    # then
    assert result.status == outcome, result.error
    if outcome == "sent":
        assert result.provider_id == provider_id and result.error == ""
        assert case.received(servers) == 1
    else:
        assert result.provider_id == "" and result.error
    if outcome == "transient" and key != "smtp":
        assert result.retry_after == 7.0  # the server's Retry-After is kept


@pytest.mark.parametrize("key", sorted(CASES))
def test_an_unreachable_server_is_transient(key, servers):
    # given: a port nobody listens on
    provider, case = registry.get(key), CASES[key]
    settings = provider.parse(case.unreachable(servers))
    message, _id = case.script(servers, "sent")
    # when
    with provider.open(settings) as session:
        result = session.send(message)
    # then: retried later with back-off, never a failed row
    assert result.status == "transient" and "connection" in result.error
