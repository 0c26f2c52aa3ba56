"""Lifecycle storage: frozen versions, schedules, launches (every live start, claimed once), send
confirmations, and the review queue's proxy.

A ``CampaignVersion`` is what was approved and what a live run executes: its canonical JSON text and
the SHA-256 of that text. A ``Launch`` is one attempt to start a live run (publish, schedule firing,
API trigger, End signal); unique constraints make a firing or an idempotency key count once, whatever
the number of job clusters.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaign import Campaign


class VersionState(models.TextChoices):
    PENDING = "pending", _("In review")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    PUBLISHED = "published", _("Published")
    VOIDED = "voided", _("Voided")


class CampaignVersion(models.Model):
    """The frozen graph, every activity's configuration and content, the schedule and the parameters."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("number"))
    graph_version = models.PositiveIntegerField(_("graph version"))
    state = models.CharField(
        _("state"), max_length=20, choices=VersionState.choices, default=VersionState.PENDING
    )
    document = models.JSONField(_("document"))
    document_text = models.TextField(_("canonical document"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    test_run = models.ForeignKey(
        "campaigns.Run",
        verbose_name=_("test run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    request_comment = models.TextField(_("request comment"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.CharField(_("void reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("campaign version")
        verbose_name_plural = _("campaign versions")
        ordering = ["campaign_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="campaigns_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} v{self.number}"


class ScheduleKind(models.TextChoices):
    ASAP = "asap", _("As soon as possible")
    ONCE = "once", _("Once")
    DAILY = "daily", _("Daily")
    INTRADAY = "intraday", _("Several times a day")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    SIGNAL = "signal", _("Triggered by a signal")


ONE_TIME_KINDS = (ScheduleKind.ASAP, ScheduleKind.ONCE)
RECURRING_KINDS = (ScheduleKind.DAILY, ScheduleKind.INTRADAY, ScheduleKind.WEEKLY, ScheduleKind.MONTHLY)


class CampaignSchedule(models.Model):
    """When a published campaign launches, in its own time zone, and the parameters a launch takes.

    ``rule`` is parsed into the kind's typed rule (``campaigns.schedules.rules``) at every boundary.
    """

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="schedule"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.ASAP)
    rule = models.JSONField(_("rule"), default=dict, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    parameters = models.JSONField(
        _("parameters"),
        default=list,
        blank=True,
        help_text=_('Declared launch variables: [{"name", "type", "required", "default"}].'),
    )
    trigger_interval_seconds = models.PositiveIntegerField(
        _("minimum seconds between live triggers"), default=60
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("campaign schedule")
        verbose_name_plural = _("campaign schedules")

    def __str__(self) -> str:
        return f"{self.campaign}: {self.get_kind_display()}"


class LaunchSource(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    SCHEDULE = "schedule", _("Schedule firing")
    TRIGGER = "trigger", _("API trigger")
    SIGNAL = "signal", _("Signal from another campaign")


class LaunchOutcome(models.TextChoices):
    STARTED = "started", _("Run started")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class Launch(models.Model):
    """One attempt to start a live run of a published version. Claimed by a unique row insert."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="launches"
    )
    version = models.ForeignKey(
        CampaignVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="launches"
    )
    source = models.CharField(_("source"), max_length=10, choices=LaunchSource.choices)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    run = models.OneToOneField(
        "campaigns.Run",
        verbose_name=_("run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="launch",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=LaunchOutcome.choices)
    message = models.TextField(_("message"), blank=True)
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("launch")
        verbose_name_plural = _("launches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "due_at"],
                condition=models.Q(due_at__isnull=False),
                name="campaigns_launch_one_per_firing",
            ),
            models.UniqueConstraint(
                fields=["campaign", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="campaigns_launch_one_per_key",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "source", "created_at"], name="campaigns_launch_recent")]

    def __str__(self) -> str:
        return f"{self.campaign} {self.get_source_display()} ({self.get_outcome_display()})"


class SendConfirmation(models.Model):
    """A user with the confirm-send permission released a held channel activity of a live run."""

    run = models.ForeignKey(
        "campaigns.Run", verbose_name=_("run"), on_delete=models.CASCADE, related_name="send_confirmations"
    )
    activity_key = models.CharField(_("activity"), max_length=63)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("send confirmation")
        verbose_name_plural = _("send confirmations")
        constraints = [
            models.UniqueConstraint(fields=["run", "activity_key"], name="campaigns_confirmation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_key} @ run {self.run_id}"


class CampaignReview(Campaign):
    """The review queue's view of campaigns (an admin page for Approvers)."""

    class Meta:
        proxy = True
        verbose_name = _("campaign in review")
        verbose_name_plural = _("review queue")
