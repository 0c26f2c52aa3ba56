"""Channel configuration hosts (issue 12 §6): only Administrators write configurations, and the optional
``OC_PROVIDER_HOST_ALLOWLIST`` bounds where a configuration connects: checked when it is saved (API,
admin, service) and again before sending (a real SMTP sink that must receive nothing)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from channels.delivery.sender import send_delivery
from channels.models import ChannelConfiguration, LedgerEntry, LedgerState
from channels.providers.hosts import host_allowed, provider_hosts
from channels.providers.registry import get as provider
from channels.tests.conftest import prepared_delivery
from conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _sms_payload(catalog, url="https://sms.allowed.test/send"):
    return {
        "name": "sms",
        "channel": "sms",
        "provider": "sms_webhook",
        "marketing": True,
        "dimension": catalog["dimension"].schema.name,
        "provider_settings": {"url": url, "status_url": "https://status.allowed.test/s", "secret": "s"},
    }


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("smtp.allowed.test", True),
        ("SMTP.Allowed.Test.", True),
        ("mail.example.com", True),
        ("example.com", False),
        ("evil-example.com", False),
        ("allowed.test.evil.test", False),
        ("127.0.0.1", True),
        ("10.0.0.1", False),
        ("", False),
    ],
)
def test_allow_list_entries_match_hosts_subdomains_and_addresses(host, allowed):
    assert host_allowed(host, ["smtp.allowed.test", "*.example.com", "127.0.0.1"]) is allowed
    assert host_allowed(host, []) is True


def test_the_hosts_of_every_kind_of_provider_setting_are_found():
    sms = provider("sms_webhook").parse({"url": "https://a.test:8443/x", "status_url": "http://b.test/s"})
    esp = provider("anymail").parse({"esp": "mailgun", "api_key": "k"})
    smtp = provider("smtp").parse({"host": "Mail.Relay.Test"})
    assert provider_hosts(sms) == [("url", "a.test"), ("status_url", "b.test")]
    assert provider_hosts(esp) == [("api_url", "api.mailgun.net")]
    assert provider_hosts(smtp) == [("host", "mail.relay.test")]


def test_only_administrators_write_configurations(catalog, manager, approver, api_as):
    # when: every other profile tries the API
    answers = {
        user.username: api_as(user).post(
            "/api/v1/channel-configurations/", _sms_payload(catalog), format="json"
        )
        for user in (manager, approver)
    }
    created = api_as(catalog["admin"]).post(
        "/api/v1/channel-configurations/", _sms_payload(catalog), format="json"
    )
    # then
    assert {name: r.status_code for name, r in answers.items()} == {
        manager.username: 403,
        approver.username: 403,
    }
    assert created.status_code == 201, created.json()


def test_the_api_refuses_a_host_outside_the_allow_list_naming_the_field(catalog, api_as, settings):
    # given
    settings.OC_PROVIDER_HOST_ALLOWLIST = ["*.allowed.test"]
    client = api_as(catalog["admin"])
    # when
    refused = client.post(
        "/api/v1/channel-configurations/",
        _sms_payload(catalog, url="https://169.254.169.254/latest"),
        format="json",
    )
    accepted = client.post("/api/v1/channel-configurations/", _sms_payload(catalog), format="json")
    # then
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["field"] == "provider_settings" and "169.254.169.254" in error["message"]
    assert accepted.status_code == 201
    assert ChannelConfiguration.objects.count() == 1


def test_the_admin_form_refuses_a_host_outside_the_allow_list(catalog, settings):
    # given
    settings.OC_PROVIDER_HOST_ALLOWLIST = ["smtp.allowed.test"]
    client = Client()
    assert client.login(username=catalog["admin"].username, password=TEST_PASSWORD)
    # when
    response = client.post(
        "/admin/oc_channels/channelconfiguration/add/",
        {
            "name": "mail",
            "channel": "email",
            "provider": "smtp",
            "marketing": "on",
            "provider_settings": '{"host": "smtp.elsewhere.test"}',
            "rate_per_second": "10",
            "throttle_window_hours": "12",
            "dimension": catalog["dimension"].pk,
            "delivery_level": "primary",
            "enabled": "on",
        },
    )
    # then
    assert response.status_code == 200
    assert "smtp.elsewhere.test" in response.content.decode()
    assert not ChannelConfiguration.objects.exists()


def test_a_send_after_the_allow_list_changed_connects_to_nothing(
    catalog, campaign, email_configuration, smtp_sink, settings
):
    # given: the configuration was saved while any host was allowed; then the operator restricts hosts
    delivery = prepared_delivery(catalog, campaign, [1, 2])
    settings.OC_PROVIDER_HOST_ALLOWLIST = ["smtp.allowed.test"]
    # when
    send_delivery(delivery.pk)
    # then: the SMTP sink received nothing and every message failed with the reason
    assert smtp_sink.messages == []
    entries = LedgerEntry.objects.filter(delivery=delivery)
    assert {e.state for e in entries} == {LedgerState.FAILED}
    assert all("OC_PROVIDER_HOST_ALLOWLIST" in e.error for e in entries)


def test_saving_through_the_service_is_checked_too(catalog, email_configuration, settings):
    from channels.services.configurations import configuration_update

    settings.OC_PROVIDER_HOST_ALLOWLIST = ["smtp.allowed.test"]
    with pytest.raises(ValidationError, match=r"127\.0\.0\.1"):
        configuration_update(
            actor=catalog["admin"], configuration=email_configuration, data={"name": "renamed"}
        )
