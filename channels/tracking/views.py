"""Public tracking endpoints. Tokens are signed (django.core.signing); nothing here trusts a URL or
an id that was not signed by us, and provider callbacks must carry the shared-secret signature."""

from __future__ import annotations

import base64
import contextlib
import logging

from anymail.exceptions import AnymailConfigurationError
from django.conf import settings
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from api.errors import error_body, json_error
from api.parsers import parse_json
from channels.models import ChannelConfiguration
from channels.personalization import links
from channels.providers import registry
from channels.providers.base import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature_ok
from channels.tracking import esp_events, services

logger = logging.getLogger(__name__)
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


MAX_WEBHOOK_EVENTS = 1000
EVENT_ID_MAX_LENGTH = 200


def _configuration_and_body(request, configuration_id: int):
    """The configuration and the request body when the callback is signed with the configuration's
    webhook secret and its timestamp is fresh (``OC_WEBHOOK_TOLERANCE_SECONDS``); else no body."""
    configuration = get_object_or_404(ChannelConfiguration, pk=configuration_id)
    provider = registry.get(configuration.provider)
    secret = (
        getattr(provider.parse(configuration.provider_settings), "webhook_secret", "") if provider else ""
    )
    if not webhook_signature_ok(
        secret,
        request.body,
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        tolerance=settings.OC_WEBHOOK_TOLERANCE_SECONDS,
    ):
        return configuration, None
    return configuration, request.body


def _refused(request):
    return json_error(
        request,
        403,
        "permission_denied",
        _("Bad or stale signature: sign the timestamp and the body, and send them within the tolerance."),
    )


def _invalid(errors: list[dict]) -> JsonResponse:
    return JsonResponse(error_body(400, "invalid", _("Invalid input."), errors), status=400)


def _problem(field: str | None, code: str, message: str) -> dict:
    return {"field": field, "code": code, "message": message}


def _json_object(body: bytes) -> tuple[dict | None, list[dict]]:
    """The body as a JSON object, or the one problem that keeps it from being one."""
    try:
        data = parse_json(body)  # bounded: depth, size, NUL and lone surrogates (api.parsers)
    except ValueError:  # JSONInputError is a ValueError
        return None, [_problem(None, "parse_error", _("The body is not valid JSON."))]
    if not isinstance(data, dict):
        return None, [_problem(None, "invalid", _("Expected a JSON object."))]
    return data, []


def _text(item: dict, key: str, path: str, problems: list[dict], *, required: bool) -> str:
    value = item.get(key)
    if value is None or value == "":
        if required:
            problems.append(_problem(path, "required", _("This field is required.")))
        return ""
    if not isinstance(value, str):
        problems.append(_problem(path, "invalid", _("Expected a string.")))
        return ""
    return value


def _webhook_events(body: bytes) -> tuple[list[dict], list[dict]]:
    """``{"events": [{"id", "type", "message_id", "reason"?, "url"?}, ...]}`` checked field by field:
    the events as clean dicts, or the problems, each naming its field (``events.3.id``)."""
    data, problems = _json_object(body)
    if data is None:
        return [], problems
    events = data.get("events")
    if not isinstance(events, list):
        return [], [_problem("events", "invalid", _('Expected {"events": [...]}, a list of events.'))]
    if len(events) > MAX_WEBHOOK_EVENTS:
        message = _("At most %(limit)d events per request.") % {"limit": MAX_WEBHOOK_EVENTS}
        return [], [_problem("events", "max_length", message)]
    clean = []
    for index, item in enumerate(events):
        path = f"events.{index}"
        if not isinstance(item, dict):
            problems.append(_problem(path, "invalid", _("Expected an object.")))
            continue
        event = {
            key: _text(item, key, f"{path}.{key}", problems, required=key in ("id", "type", "message_id"))
            for key in ("id", "type", "message_id", "reason", "url")
        }
        if len(event["id"]) > EVENT_ID_MAX_LENGTH:
            message = _("At most %(limit)d characters.") % {"limit": EVENT_ID_MAX_LENGTH}
            problems.append(_problem(f"{path}.id", "max_length", message))
        clean.append(event)
    return clean, problems


@csrf_exempt
@require_POST
def provider_webhook(request, configuration_id: int):
    """Delivery receipts, bounces and complaints from the provider, signed with the shared secret
    over the timestamp and the body; each event carries its id, recorded once."""
    configuration, body = _configuration_and_body(request, configuration_id)
    if body is None:
        return _refused(request)
    events, problems = _webhook_events(body)
    if problems:
        return _invalid(problems)
    return JsonResponse({"accepted": services.webhook_events_record(configuration, events)})


@csrf_exempt
@require_POST
def sms_inbound(request, configuration_id: int):
    """An SMS reply (JSON ``{from, text}`` or Twilio-style form ``From``/``Body``), signed."""
    configuration, body = _configuration_and_body(request, configuration_id)
    if body is None:
        return _refused(request)
    problems: list[dict] = []
    if request.content_type == "application/json":
        data, problems = _json_object(body)
        if data is not None:
            sender = _text(data, "from", "from", problems, required=True)
            text = _text(data, "text", "text", problems, required=False)
    else:
        sender, text = request.POST.get("From", ""), request.POST.get("Body", "")
        if not sender:
            problems.append(_problem("From", "required", _("This field is required.")))
    if problems:
        return _invalid(problems)
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
        except (AttributeError, IndexError, KeyError, TypeError, ValueError, RecursionError):
            # An authenticated body anymail cannot read as the ESP's events (not JSON, nested too deep,
            # a list where an object belongs...): the sender's mistake, a 400, never a 500.
            logger.warning("Unreadable %s tracking webhook body", request.path, exc_info=True)
            return _invalid([_problem(None, "invalid", _("The body is not a tracking event of this ESP."))])

    return guarded


def anymail_tracking(sender, event, esp_name, **kwargs):
    """Receiver of anymail's ``tracking`` signal (connected in ``apps.ready``)."""
    esp_events.esp_event_record(esp_name=esp_name, event=event)
