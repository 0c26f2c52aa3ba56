"""Public tracking endpoints. Tokens are signed (django.core.signing); nothing here trusts a URL or
an id that was not signed by us, and provider callbacks must carry the shared-secret signature."""

from __future__ import annotations

import base64
import contextlib

from anymail.exceptions import AnymailConfigurationError
from django.conf import settings
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from api.errors import json_error
from api.parsers import parse_json
from channels.models import ChannelConfiguration
from channels.personalization import links
from channels.providers import registry
from channels.providers.base import signature_ok
from channels.tracking import esp_events, services

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def open_pixel(request, token: str):
    """Always a 1x1 GIF (a bad token gives no information away); a good one records an open."""
    with contextlib.suppress(signing.BadSignature, ValueError, TypeError):
        services.open_record(links.read_entry_token(token, links.OPEN_SALT))
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


def click(request, token: str):
    """Redirect to the link signed into this message, and only to it: no open redirect."""
    try:
        entry_id, url = links.read_click_token(token)
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        raise Http404 from None
    if not url.lower().startswith(("http://", "https://")) or not services.click_record(entry_id, url):
        raise Http404
    return HttpResponseRedirect(url)


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without any form token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows one button (link scanners must not unsubscribe anyone); POST unsubscribes."""
    try:
        entry_id = links.read_entry_token(token, links.UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404 from None
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        entry = services.unsubscribe_record(entry_id, how="one-click" if one_click else "page")
        if entry is None:
            raise Http404
        return render(request, "oc_channels/unsubscribe.html", {"done": True})
    return render(request, "oc_channels/unsubscribe.html", {"done": False})


def _configuration_and_body(request, configuration_id: int):
    configuration = get_object_or_404(ChannelConfiguration, pk=configuration_id)
    provider = registry.get(configuration.provider)
    secret = (
        getattr(provider.parse(configuration.provider_settings), "webhook_secret", "") if provider else ""
    )
    if not signature_ok(secret, request.body, request.headers.get("X-OC-Signature")):
        return configuration, None
    return configuration, request.body


@csrf_exempt
@require_POST
def provider_webhook(request, configuration_id: int):
    """Delivery receipts, bounces and complaints from the provider, signed with the shared secret."""
    configuration, body = _configuration_and_body(request, configuration_id)
    if body is None:
        return JsonResponse({"detail": "bad signature"}, status=403)
    try:
        events = parse_json(body).get("events", [])
        assert isinstance(events, list)
    except (ValueError, AttributeError, AssertionError):  # JSONInputError is a ValueError
        return JsonResponse({"detail": 'expected {"events": [...]}'}, status=400)
    return JsonResponse({"accepted": services.webhook_events_record(configuration, events)})


@csrf_exempt
@require_POST
def sms_inbound(request, configuration_id: int):
    """An SMS reply (JSON ``{from, text}`` or Twilio-style form ``From``/``Body``), signed."""
    configuration, body = _configuration_and_body(request, configuration_id)
    if body is None:
        return JsonResponse({"detail": "bad signature"}, status=403)
    if request.content_type == "application/json":
        try:
            data = parse_json(body)
        except ValueError:  # JSONInputError included
            return JsonResponse({"detail": "invalid JSON"}, status=400)
        sender, text = str(data.get("from", "")), str(data.get("text", ""))
    else:
        sender, text = request.POST.get("From", ""), request.POST.get("Body", "")
    stopped = services.inbound_sms_record(configuration, sender=sender, text=text)
    return JsonResponse({"unsubscribed": stopped})


def esp_webhook(view):
    """An anymail tracking webhook view, failing closed: without ``ANYMAIL["WEBHOOK_SECRET"]`` anymail
    would take anyone's events (and let them suppress any address), and without an ESP's signing key
    (Mailgun) it cannot check signatures; both refuse the request instead."""

    @csrf_exempt
    def guarded(request, *args, **kwargs):
        if not getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"):
            return json_error(request, 403, "permission_denied", "Webhook secret not configured.")
        try:
            return view(request, *args, **kwargs)
        except AnymailConfigurationError:
            return json_error(request, 403, "permission_denied", "Webhook signing key not configured.")

    return guarded


def anymail_tracking(sender, event, esp_name, **kwargs):
    """Receiver of anymail's ``tracking`` signal (connected in ``apps.ready``)."""
    esp_events.esp_event_record(esp_name=esp_name, event=event)
