"""Admin pages of the lifecycle: the review queue for Approvers (what changed, the test run's counts,
every message rendered, approve / request changes / publish), sends waiting for confirmation, and the
versions (read-only). Buttons post to the lifecycle services; the services decide."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyModelAdmin
from accounts.permissions import can, can_model
from campaigns.lifecycle import holds, services
from campaigns.lifecycle.review import review_context
from campaigns.models import Campaign, CampaignReview, CampaignStatus, CampaignVersion, VersionState


@admin.register(CampaignReview)
class CampaignReviewAdmin(ReadOnlyModelAdmin):
    """Campaigns in review, and approved ones waiting to be published. For Approvers and Administrators."""

    list_display = ["name", "status", "owner", "updated_at"]
    list_select_related = ["owner"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status__in=[CampaignStatus.IN_REVIEW, CampaignStatus.APPROVED])
        )

    def _reviewer(self, request) -> bool:
        return can_model(request.user, "approve", Campaign) or can_model(request.user, "publish", Campaign)

    def has_module_permission(self, request) -> bool:
        return self._reviewer(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._reviewer(request) and super().has_view_permission(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        if not self._reviewer(request):  # like a hidden object: back to the index
            return redirect(reverse("admin:index"))
        return super().history_view(request, object_id, extra_context)

    def get_urls(self):
        urls = [
            path(
                "holds/", self.admin_site.admin_view(self.holds_view), name="campaigns_campaignreview_holds"
            ),
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        if campaign is None or not self.has_view_permission(request, campaign):
            return super().change_view(request, object_id, form_url, extra_context)
        campaign = Campaign.objects.select_related("owner").get(
            pk=campaign.pk
        )  # permissions by the real model
        if request.method == "POST":
            return self._act(request, campaign)
        state = VersionState.PENDING if campaign.status == CampaignStatus.IN_REVIEW else VersionState.APPROVED
        version = services.latest_version(campaign, state)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review"),
            "campaign": campaign,
            "opts": self.model._meta,
            "can_review": campaign.status == CampaignStatus.IN_REVIEW
            and can(request.user, "approve", campaign),
            "can_publish": campaign.status == CampaignStatus.APPROVED
            and can(request.user, "publish", campaign),
            **(review_context(actor=request.user, version=version) if version else {"version": None}),
        }
        return TemplateResponse(request, "campaigns/review.html", context)

    def _act(self, request, campaign):
        comment = request.POST.get("comment", "")
        try:
            if "approve" in request.POST:
                services.campaign_approve(actor=request.user, campaign=campaign, comment=comment)
                self.message_user(request, _("Approved."))
            elif "request_changes" in request.POST:
                services.campaign_request_changes(actor=request.user, campaign=campaign, comment=comment)
                self.message_user(request, _("Changes requested."))
            elif "publish" in request.POST:
                services.campaign_publish(actor=request.user, campaign=campaign)
                self.message_user(request, _("Published."))
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, "; ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
            return redirect(request.path)
        return redirect(reverse("admin:campaigns_campaignreview_changelist"))

    def holds_view(self, request):
        if not can_model(request.user, "view", Campaign):
            raise PermissionDenied
        held = holds.held_tasks().filter(run__campaign__in=self.get_queryset_all(request)).order_by("id")
        if request.method == "POST":
            task = held.filter(pk=request.POST.get("task") or 0).first()
            try:
                if task is None:
                    raise ValidationError(_("Nothing waits there."))
                holds.send_confirm(actor=request.user, task=task)
                self.message_user(request, _("Send confirmed."))
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, "; ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
            return redirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Sends waiting for confirmation"),
            "held": held,
            "can_confirm": can_model(request.user, "confirm_send", Campaign),
        }
        return TemplateResponse(request, "campaigns/holds.html", context)

    def get_queryset_all(self, request):
        from accounts.permissions import restrict

        return restrict(request.user, "view", Campaign.objects.all()).values("pk")


@admin.register(CampaignVersion)
class CampaignVersionAdmin(ReadOnlyModelAdmin):
    list_display = [
        "campaign",
        "number",
        "state",
        "requested_by",
        "reviewed_by",
        "published_at",
        "content_hash",
    ]
    list_filter = ["state"]
    list_select_related = ["campaign", "requested_by", "reviewed_by"]
    search_fields = ["campaign__name", "content_hash"]
    exclude = ["document_text"]

    def get_object(self, request, object_id, from_field=None):
        """Read-only: the document shown hides pinned definitions the user may not view (never saved)."""
        from campaigns.lifecycle.pins import document_for

        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.document = document_for(request.user, obj.document)
        return obj


from campaigns.lifecycle import admin_campaign as _admin_campaign  # noqa: E402, F401 - buttons, schedule page
