"""The campaign canvas inside the admin, and the campaign list's extra columns.

The canvas page is a shell: the graph, the palette, the configuration forms and the run monitor are
drawn by ``static/campaigns/canvas.js`` from the REST API (graph document, activity schemas, runs),
with the session and the CSRF token. What the page decides here is only what the user may do, so the
script never offers a button the API would refuse: editing needs ``change`` and a draft campaign.

Wired by one import at the end of ``campaigns/admin.py``: the registered ``CampaignAdmin`` is replaced
by a subclass that adds the canvas URL and the list columns (no other behaviour changes).
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can, can_preview_personal_data
from campaigns.admin import CampaignAdmin
from campaigns.models import Campaign, CampaignStatus


def canvas_permissions(user, campaign: Campaign) -> dict:
    """What the canvas offers ``user`` on ``campaign`` (the API checks the same again)."""
    may_change = can(user, "change", campaign)
    return {
        "may_change": may_change,
        "editable": may_change and campaign.status == CampaignStatus.DRAFT,
        "may_test_run": can(user, "test_run", campaign),
        "may_preview_rows": can_preview_personal_data(user),
        "may_confirm_send": can(user, "confirm_send", campaign),
    }


class CampaignCanvasAdminMixin:
    """Adds the canvas page and the list columns; everything else is the wrapped admin's."""

    def get_list_display(self, request):
        base = [c if c != "status" else "status_mark" for c in super().get_list_display(request)]
        head, rest = base[:2], base[2:]
        return [*head, "channels", "tags_list", *rest, "last_run", "next_run", "canvas_link"]

    def get_list_filter(self, request):
        base = list(super().get_list_filter(request))
        return base if "owner" in base else [*base, "owner"]

    def get_queryset(self, request):
        runs = Max("runs__created_at")
        return super().get_queryset(request).annotate(oc_last_run=runs).prefetch_related("activities")

    def get_urls(self):
        canvas = path(
            "<path:object_id>/canvas/",
            self.admin_site.admin_view(self.canvas_view),
            name="campaigns_campaign_canvas",
        )
        return [canvas, *super().get_urls()]

    # --- list columns ----------------------------------------------------------------------------
    @admin.display(description=_("status"), ordering="status")
    def status_mark(self, obj):
        return format_html(
            '<span class="oc-status oc-status-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("channels"))
    def channels(self, obj):
        kinds = sorted(
            {a.type.split(".", 1)[1] for a in obj.activities.all() if a.type.startswith("channel.")}
        )
        return ", ".join(kinds) or "-"

    @admin.display(description=_("tags"))
    def tags_list(self, obj):
        tags = getattr(obj, "tags", None)  # the lifecycle issue adds tags; until then nothing to show
        if tags is None:
            return "-"
        names = [str(t) for t in (tags.all() if hasattr(tags, "all") else tags)]
        return format_html_join(" ", '<span class="oc-tag">{}</span>', ((n,) for n in names)) or "-"

    @admin.display(description=_("last run"), ordering="oc_last_run")
    def last_run(self, obj):
        return obj.oc_last_run or "-"

    @admin.display(description=_("next run"))
    def next_run(self, obj):
        value = getattr(obj, "next_run_at", None)  # set by the lifecycle issue's schedules
        return value() if callable(value) else (value or "-")

    @admin.display(description=_("canvas"))
    def canvas_link(self, obj):
        url = reverse("admin:campaigns_campaign_canvas", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Open canvas"))

    # --- the canvas page -------------------------------------------------------------------------
    def canvas_view(self, request, object_id):
        campaign = self.get_object(request, object_id)
        if campaign is None:
            raise Http404
        if not self.has_view_or_change_permission(request, campaign):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": campaign,
            "campaign": campaign,
            "title": gettext("Canvas: %(name)s") % {"name": campaign.name},
            "subtitle": campaign.name,
            "canvas_config": {
                "campaign": campaign.pk,
                "status": campaign.status,
                "statusLabel": campaign.get_status_display(),
                **canvas_permissions(request.user, campaign),
                "api": "/api/v1/",
                "changeUrl": reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
                "ruleBuilderUrl": reverse("audiences-rule-builder"),
                "ruleMeta": reverse("audiences-rule-builder-meta"),
                "expressionUrl": reverse("audiences-rule-builder-expression"),
            },
        }
        return TemplateResponse(request, "admin/campaigns/campaign/canvas.html", context)


registered = admin.site._registry.get(Campaign)
base_admin = type(registered) if registered is not None else CampaignAdmin
admin.site.unregister(Campaign)


@admin.register(Campaign)
class CampaignCanvasAdmin(CampaignCanvasAdminMixin, base_admin):
    """The campaign admin with the canvas (see the module docstring)."""
