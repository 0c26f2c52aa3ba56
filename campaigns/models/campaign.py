"""Campaigns: a batch, multi-step workflow owned by a user and shared through object permissions.

The campaign engine issue extends this model with its graph; the foundation needs the owner and the
guardian permission tables so that ``restrict()`` and sharing work from the first day.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.names import DisplayNamed


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    STOPPED = "stopped", _("Stopped")
    ARCHIVED = "archived", _("Archived")


class Campaign(DisplayNamed, models.Model):
    """A campaign. Its creator owns it and gets edit rights on it; owners and Administrators share it."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_campaigns",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    graph_version = models.PositiveIntegerField(
        _("graph version"),
        default=0,
        help_text=_("Incremented by every graph write; a write based on an older version is refused."),
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("test_run_campaign", _("Can start a test run of the campaign")),
            ("request_approval_campaign", _("Can request approval of the campaign")),
            ("approve_campaign", _("Can approve or request changes on the campaign")),
            ("publish_campaign", _("Can publish the campaign")),
            ("confirm_send_campaign", _("Can confirm a held send of the campaign")),
            ("share_campaign", _("Can share the campaign with users or groups")),
            ("run_live_campaign", _("Can start a live run of the campaign")),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignUserObjectPermission(UserObjectPermissionBase):
    """Direct FK object permission of a user on a campaign (integer joins, cascading deletes)."""

    content_object = models.ForeignKey(Campaign, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("campaign user permission")


class CampaignGroupObjectPermission(GroupObjectPermissionBase):
    """Direct FK object permission of a group on a campaign."""

    content_object = models.ForeignKey(Campaign, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("campaign group permission")
