"""Lifecycle buttons on the campaign change page, and the campaign's schedule page in the admin.

The buttons are small POST forms to ``<id>/lifecycle/<action>/``; each calls the lifecycle service
(which checks the state machine and the profile again). A button is shown only when the state
machine's row lets the campaign's status move and the user holds the row's profile action, so a
Manager never sees approve or publish. The schedule page shows the stored schedule, a form to replace
it (``schedule_save``, which voids an approval like any edit) and the next 10 launch times.

Wired like the canvas: the registered campaign admin is wrapped by a mixin (imported from
``campaigns/lifecycle/admin.py``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can, can_model
from campaigns.lifecycle import machine, services
from campaigns.models import Campaign, ScheduleKind
from campaigns.schedules import services as schedules

# action -> (label, service, takes a comment). Order is the order of the buttons.
BUTTONS = {
    "request_approval": (_("Request approval"), services.campaign_request_approval, True),
    "approve": (_("Approve"), services.campaign_approve, True),
    "request_changes": (_("Request changes"), services.campaign_request_changes, True),
    "publish": (_("Publish"), services.campaign_publish, False),
    "pause": (_("Pause"), services.campaign_pause, False),
    "resume": (_("Resume"), services.campaign_resume, False),
    "close": (_("Close"), services.campaign_close, False),
    "stop": (_("Stop"), services.campaign_stop, False),
    "back_to_draft": (_("Back to draft"), services.campaign_back_to_draft, False),
    "archive": (_("Archive"), services.campaign_archive, False),
}


def lifecycle_buttons(user, campaign: Campaign) -> list[dict]:
    """The lifecycle actions the state machine lets ``user`` start on ``campaign`` now, then duplicate."""
    shown = []
    for action, (label, _service, comment) in BUTTONS.items():
        entry = machine.row(action)
        if machine.allowed(campaign, action) and can(user, entry.who, campaign):
            shown.append({"action": action, "label": label, "comment": comment})
    if can(user, "view", campaign) and can_model(user, "add", Campaign):
        shown.append({"action": "duplicate", "label": _("Duplicate"), "comment": False})
    return shown


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ScheduleKind.choices)
    rule = forms.JSONField(label=_("rule"), required=False, initial=dict)
    timezone = forms.CharField(label=_("time zone"), max_length=64, initial="UTC")
    valid_from = forms.DateTimeField(label=_("valid from"), required=False)
    valid_until = forms.DateTimeField(label=_("valid until"), required=False)
    parameters = forms.JSONField(label=_("parameters"), required=False, initial=list)
    trigger_interval_seconds = forms.IntegerField(label=_("minimum seconds between triggers"), min_value=0)


class CampaignLifecycleAdminMixin:
    """Adds the lifecycle buttons (change page context) and the schedule page to the campaign admin."""

    def get_urls(self):
        return [
            path(
                "<path:object_id>/lifecycle/<str:action>/",
                self.admin_site.admin_view(self.lifecycle_view),
                name="campaigns_campaign_lifecycle",
            ),
            path(
                "<path:object_id>/schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="campaigns_campaign_schedule",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        if campaign is not None:
            extra_context = {
                **(extra_context or {}),
                "lifecycle_buttons": lifecycle_buttons(request.user, campaign),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _campaign(self, request, object_id) -> Campaign:
        campaign = self.get_object(request, object_id)
        if campaign is None:
            raise Http404
        if not self.has_view_or_change_permission(request, campaign):
            raise PermissionDenied
        return Campaign.objects.select_related("owner").get(pk=campaign.pk)

    def lifecycle_view(self, request, object_id, action):
        campaign = self._campaign(request, object_id)
        change_url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
        if request.method != "POST":
            return redirect(change_url)
        if action != "duplicate" and action not in BUTTONS:
            raise Http404
        comment = request.POST.get("comment", "")
        try:
            if action == "duplicate":
                copy = services.campaign_duplicate(actor=request.user, campaign=campaign)
                self.message_user(request, gettext("Duplicated into a new draft."))
                return redirect(reverse("admin:campaigns_campaign_change", args=[copy.pk]))
            label, service, takes_comment = BUTTONS[action]
            kwargs = {"comment": comment} if takes_comment else {}
            service(actor=request.user, campaign=campaign, **kwargs)
            self.message_user(request, gettext("%(action)s: done.") % {"action": label})
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, "; ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
        return redirect(change_url)

    def schedule_view(self, request, object_id):
        campaign = self._campaign(request, object_id)
        schedule = schedules.schedule_get(campaign)
        may_change = can(request.user, "change", campaign)
        if request.method == "POST":
            if not may_change:
                raise PermissionDenied
            form = ScheduleForm(request.POST)
            if form.is_valid():
                data = dict(form.cleaned_data)
                data["rule"] = data["rule"] or {}
                data["parameters"] = data["parameters"] or []
                try:
                    schedules.schedule_save(actor=request.user, campaign=campaign, data=data)
                    self.message_user(request, gettext("Schedule saved."))
                    return redirect(request.path)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        target = field.split(".", 1)[0]
                        form.add_error(target if target in form.fields else None, errors)
        else:
            form = ScheduleForm(initial=schedules.schedule_as_dict(schedule))
        try:
            preview, preview_error = schedules.schedule_preview(schedule=schedule), ""
        except ValidationError as exc:
            preview, preview_error = [], "; ".join(exc.messages)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": campaign,
            "campaign": campaign,
            "title": gettext("Schedule: %(name)s") % {"name": campaign.name},
            "form": form,
            "may_change": may_change,
            "preview": preview,
            "preview_error": preview_error,
        }
        return TemplateResponse(request, "admin/campaigns/campaign/schedule.html", context)


registered = admin.site._registry.get(Campaign)
base_admin = type(registered)
admin.site.unregister(Campaign)


@admin.register(Campaign)
class CampaignLifecycleAdmin(CampaignLifecycleAdminMixin, base_admin):
    """The campaign admin with the lifecycle buttons and the schedule page (see the module docstring)."""
