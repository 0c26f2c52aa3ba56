"""What a locked-out login gets (issue 12 §6; the lockout itself is django-axes, see config/settings.py
``OC_LOGIN_*``): the API answers 429 ``locked_out`` in the one error shape, the admin a page that says
what happened and when to try again, also with status 429."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from api.errors import json_error


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else 0


def locked_out_message() -> str:
    return _(
        "Too many failed sign-ins: this account is locked for %(minutes)d minutes from your address."
    ) % {"minutes": cooloff_minutes()}


def api_locked_out(request):
    response = json_error(request, 429, "locked_out", locked_out_message())
    response["Retry-After"] = str(cooloff_minutes() * 60)
    return response


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: called by axes' middleware for a locked-out login."""
    if request.path.startswith("/api/"):
        return api_locked_out(request)
    from django.contrib import admin

    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,  # nobody is signed in: no navigation to show
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": cooloff_minutes(),
        "title": _("Sign-in locked"),
    }
    response = render(request, "admin/accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(cooloff_minutes() * 60)
    return response
