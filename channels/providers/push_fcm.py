"""Push through an FCM HTTP v1-compatible API: ``POST {base_url}/v1/projects/{project}/messages:send``
with a bearer token and ``{"message": {"token", "notification", "data", "webpush"}}``.

FCM answers 404 UNREGISTERED / 400 INVALID_ARGUMENT for a dead token: a hard bounce (the token is
suppressed); 429 and 5xx are transient. Obtaining the OAuth access token from a service account is
the deployment's job (``access_token`` setting).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from channels.providers.base import OutboundMessage, Provider, SendResult, http_status_result
from channels.providers.http_session import HttpSession
from channels.providers.registry import register


@dataclass
class FcmSettings:
    project_id: str
    access_token: str
    base_url: str = "https://fcm.googleapis.com"
    timeout: float = 10.0
    webhook_secret: str = ""


def fcm_body(message: OutboundMessage) -> dict:
    inner: dict = {
        "token": message.to,
        "notification": {"title": message.title, "body": message.text},
        "data": {str(k): str(v) for k, v in message.data.items()},
    }
    if message.link:
        inner["webpush"] = {"fcm_options": {"link": message.link}}
        inner["data"].setdefault("link", message.link)
    return {"message": inner}


class FcmSession(HttpSession):
    def __init__(self, settings: FcmSettings):
        super().__init__(settings.timeout)
        self.settings = settings

    def send(self, message: OutboundMessage) -> SendResult:
        s = self.settings
        url = f"{s.base_url.rstrip('/')}/v1/projects/{s.project_id}/messages:send"
        response = self.post(
            url, json=fcm_body(message), headers={"Authorization": f"Bearer {s.access_token}"}
        )
        if isinstance(response, SendResult):
            return response
        if response.status_code in (400, 404) and (
            "UNREGISTERED" in response.text or "INVALID_ARGUMENT" in response.text
        ):
            return SendResult("hard_bounce", error=f"FCM {response.status_code}: {response.text[:200]}")
        name = ""
        if 200 <= response.status_code < 300:
            try:
                name = str(response.json().get("name", ""))
            except ValueError:
                name = ""
        return http_status_result(
            response.status_code, response.text, name, response.headers.get("Retry-After")
        )


@register
class FcmProvider(Provider):
    """Firebase Cloud Messaging (HTTP v1) or a compatible server."""

    key = "fcm"
    label = _("Push: FCM HTTP v1-compatible API")
    channel = "push"
    Settings = FcmSettings

    def open(self, settings: FcmSettings):
        return FcmSession(settings)
