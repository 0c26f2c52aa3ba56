"""Which hosts a channel configuration connects to, and whether ``OC_PROVIDER_HOST_ALLOWLIST`` lets
it (issue 12 §6). Only Administrators change configurations; the allow-list bounds even them (or a
stolen Administrator session): a configuration cannot point sends, status checks or credentials at a
host the operator did not list. Checked when a configuration is saved and again before sending.

An allow-list entry is a host name (``smtp.example.com``), ``*.example.com`` for any subdomain of it,
or an IP address; an empty list allows any host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

# Settings fields that name where a provider connects: a host, or a URL whose host counts.
HOST_FIELDS = ("host",)
URL_FIELDS = ("url", "status_url", "base_url", "api_url")
# The ESPs' public APIs, where the anymail provider connects when its api_url is empty (anymail's defaults).
ESP_DEFAULT_HOSTS = {
    "mailgun": "api.mailgun.net",
    "postmark": "api.postmarkapp.com",
    "brevo": "api.brevo.com",
}


def _host_of_url(value: str) -> str:
    try:
        return (urlsplit(value.strip()).hostname or "").lower()
    except ValueError:
        return ""


def provider_hosts(parsed: Any) -> list[tuple[str, str]]:
    """``(setting name, host)`` for every place the parsed provider settings connect to."""
    found = []
    for name in HOST_FIELDS:
        value = getattr(parsed, name, "")
        if isinstance(value, str) and value.strip():
            found.append((name, value.strip().rstrip(".").lower()))
    for name in URL_FIELDS:
        value = getattr(parsed, name, "")
        if isinstance(value, str) and value.strip():
            found.append((name, _host_of_url(value)))
    esp = getattr(parsed, "esp", None)
    if esp in ESP_DEFAULT_HOSTS and not getattr(parsed, "api_url", ""):
        found.append(("api_url", ESP_DEFAULT_HOSTS[esp]))
    return found


def allowlist() -> list[str]:
    return [
        entry.strip().lower().rstrip(".") for entry in settings.OC_PROVIDER_HOST_ALLOWLIST if entry.strip()
    ]


def host_allowed(host: str, entries: list[str]) -> bool:
    if not entries:
        return True
    host = host.lower().rstrip(".")
    for entry in entries:
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and host != entry[2:]:
                return True
        elif host == entry.strip("[]") or host == entry:
            return True
    return False


def refused_hosts(parsed: Any) -> list[tuple[str, str]]:
    """The ``(setting, host)`` pairs the allow-list refuses (none when it is empty)."""
    entries = allowlist()
    if not entries:
        return []
    return [(name, host) for name, host in provider_hosts(parsed) if not host_allowed(host, entries)]


def refusal_message(refused: list[tuple[str, str]]) -> str:
    hosts = ", ".join(sorted({host or "?" for _name, host in refused}))
    return _("Host not allowed by OC_PROVIDER_HOST_ALLOWLIST: %(hosts)s.") % {"hosts": hosts}
