"""One JSON error shape for every API error.

    {"status": 400, "code": "invalid", "detail": "Invalid input.",
     "errors": [{"field": "name", "code": "required", "message": "This field is required."}]}

``errors`` lists field-level problems (``field`` is a dotted path, ``null`` for non-field errors);
it is empty for errors that are not about input (403, 404, 409, 429, 500).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource was changed by someone else; reload it and try again."
    default_code = "conflict"


def _flatten(detail, prefix: str | None = None) -> list[dict]:
    """Turn DRF's nested error detail into a flat list of {field, code, message}."""
    items: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__") else str(key)
            path = ".".join(p for p in (prefix, name) if p) or None
            items.extend(_flatten(value, path))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                items.extend(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
            else:
                items.extend(_flatten(value, prefix))
    else:
        items.append({"field": prefix, "code": getattr(detail, "code", "invalid"), "message": str(detail)})
    return items


def error_body(status_code: int, code: str, detail: str, errors: list[dict] | None = None) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or []}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        # Raised while DRF reads a form or multipart body over DATA_UPLOAD_MAX_MEMORY_SIZE.
        from api.parsers import RequestTooLarge, too_large_detail

        exc = RequestTooLarge(too_large_detail())
    elif isinstance(exc, DataError):
        # The database refused a value (out of range, malformed): the input's fault. Its message may
        # quote a row's value, so it is logged, not returned.
        logger.warning("Database refused a value: %s", str(exc).splitlines()[0] if str(exc) else exc)
        exc = exceptions.ValidationError(
            {"non_field_errors": [_("A value is outside what the database accepts.")]}, code="invalid_data"
        )
    elif isinstance(exc, SuspiciousOperation):
        # Too many form fields, a malformed multipart body...: the client's fault, never a 500.
        exc = exceptions.ParseError(_("The request could not be read."))

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            error_body(500, "server_error", _("A server error occurred.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(response.status_code, "invalid", _("Invalid input."), _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = error_body(response.status_code, str(code), str(detail))
    response.data = body
    return response


def json_error(request, status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, detail), status=status_code)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error(request, 404, "not_found", _("Not found."))
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler400(request, exception=None):
    """Django's own 400s (a body over the limit read outside DRF, too many fields, a bad host):
    413 for a body over the limit, in the one error shape under /api/ and /t/, a page elsewhere."""
    if isinstance(exception, RequestDataTooBig):
        from api.parsers import too_large_detail

        if request.path.startswith(("/api/", "/t/")):
            return json_error(request, 413, "too_large", too_large_detail())
        from django.shortcuts import render

        return render(request, "413.html", {"detail": too_large_detail()}, status=413)
    if request.path.startswith(("/api/", "/t/")):
        return json_error(request, 400, "bad_request", _("The request could not be read."))
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return json_error(request, 500, "server_error", _("A server error occurred."))
    from django.views.defaults import server_error

    return server_error(request)
