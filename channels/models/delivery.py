"""What one channel activity sends in one run (Delivery), one ledger row per recipient (LedgerEntry:
the exactly-once key), and every event that happens to a message (TrackingEvent).

Run and activity are kept as plain ids/keys, not foreign keys: a delivery's history outlives the
working tables and graph edits, and reports group by them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from channels.models.configuration import Category, Channel, ChannelConfiguration


class DeliveryStatus(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One channel activity's send in one run (or a proof). ``content`` is the activity's parsed
    configuration frozen when the delivery was prepared."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        null=True,
        blank=True,
    )
    campaign_name = models.CharField(_("campaign name"), max_length=200, blank=True)
    run_id = models.BigIntegerField(_("run"), null=True, blank=True)
    activity_key = models.CharField(_("activity"), max_length=63, blank=True)
    activity_label = models.CharField(_("activity label"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=15, choices=Category.choices)
    configuration = models.ForeignKey(
        ChannelConfiguration,
        verbose_name=_("configuration"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    dimension = models.ForeignKey(
        "audiences.TargetingDimension",
        verbose_name=_("dimension"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    content = models.JSONField(_("content"), default=dict)
    is_proof = models.BooleanField(_("proof"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PREPARED
    )
    targeted = models.BigIntegerField(_("targeted"), default=0)
    excluded = models.BigIntegerField(_("excluded"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    deadline_at = models.DateTimeField(_("send before"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # A sender's heartbeat (every batch and every wait): recovery adds a sender only when it is stale.
    sender_seen_at = models.DateTimeField(_("sender last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run_id", "activity_key"],
                condition=models.Q(is_proof=False, run_id__isnull=False),
                name="oc_channels_delivery_one_per_activity_run",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "run_id"], name="oc_channels_delivery_run")]

    def __str__(self) -> str:
        return f"{self.campaign_name or '-'} / {self.activity_key or _('proof')} #{self.pk}"


class LedgerState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Claimed by a sender")
    SENDING = "sending", _("Handed to the provider")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown (sender died during the call)")
    THROTTLED = "throttled", _("Excluded: not sent within the window")


class LedgerEntry(models.Model):
    """One recipient of one delivery. The unique (delivery, recipient_key) pair makes sending
    exactly-once: rows are written set-based, claimed, marked ``sending`` before the provider call."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="ledger")
    recipient_key = models.CharField(_("recipient key"), max_length=255)
    profile_key = models.CharField(_("profile key"), max_length=255)
    profile_id = models.BigIntegerField(_("profile id"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=15, choices=Category.choices)
    address = models.CharField(_("address"), max_length=254)
    domain = models.CharField(_("recipient domain"), max_length=254, blank=True)
    variant = models.CharField(_("variant"), max_length=63, blank=True)
    data = models.JSONField(_("personalization data"), default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=LedgerState.choices, default=LedgerState.PENDING
    )
    claim_token = models.CharField(_("claim token"), max_length=40, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    error = models.CharField(_("error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["delivery_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "recipient_key"], name="oc_channels_ledger_once"),
        ]
        indexes = [
            # (delivery, state) counts for reports; id last: a sender claims the lowest pending ids
            # by an index range scan instead of walking the sent rows before them.
            models.Index(fields=["delivery", "state", "id"], name="oc_channels_ledger_claim"),
            models.Index(fields=["channel", "address", "created_at"], name="oc_channels_ledger_capping"),
            models.Index(fields=["provider_message_id"], name="oc_channels_ledger_provider"),
            models.Index(fields=["profile_key"], name="oc_channels_ledger_profile"),
        ]

    def __str__(self) -> str:
        # not the recipient key: it may be the address, and this string lands in admin titles and logs
        return f"#{self.pk} ({self.state})"


class EventKind(models.TextChoices):
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    SOFT_BOUNCE = "soft_bounce", _("Soft bounce")
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    ERROR = "error", _("Error")
    EXCLUDED = "excluded", _("Excluded")
    OPEN = "open", _("Open")
    CLICK = "click", _("Click")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")
    COMPLAINT = "complaint", _("Spam complaint")


class ExclusionReason(models.TextChoices):
    NO_ADDRESS = "no_address", _("No address")
    INVALID_ADDRESS = "invalid_address", _("Invalid address")
    NO_CONSENT = "no_consent", _("No consent")
    SUPPRESSED_HARD_BOUNCE = "suppressed_hard_bounce", _("Suppressed: hard bounce")
    SUPPRESSED_COMPLAINT = "suppressed_complaint", _("Suppressed: complaint")
    SUPPRESSED_UNSUBSCRIBE = "suppressed_unsubscribe", _("Suppressed: unsubscribed")
    SUPPRESSED_MANUAL = "suppressed_manual", _("Suppressed: added by hand")
    CAPPING = "capping", _("Frequency capping")
    THROTTLED = "throttled", _("Throttled: not sent within the window")


class TrackingEvent(models.Model):
    """Everything that happened to a message or a would-be recipient, in one table: sending outcomes,
    exclusions with their reason, opens, clicks (with the link), unsubscribes, bounces, complaints."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    entry = models.ForeignKey(
        LedgerEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    url = models.TextField(_("link"), blank=True)
    profile_key = models.CharField(_("profile key"), max_length=255, blank=True)
    profile_id = models.BigIntegerField(_("profile id"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=254, blank=True)
    # NULL, not "", for events without a provider id: the unique constraint must ignore them.
    provider_event_id = models.CharField(  # noqa: DJ001
        _("provider event id"), max_length=255, null=True, blank=True
    )
    occurred_at = models.DateTimeField(_("occurred at"))

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider_event_id"], name="oc_channels_event_provider_once"),
        ]
        indexes = [
            models.Index(fields=["delivery", "kind", "occurred_at"], name="oc_channels_event_report"),
            models.Index(fields=["entry", "kind"], name="oc_channels_event_entry"),
            models.Index(fields=["profile_key", "kind"], name="oc_channels_event_profile"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reason or self.url}".strip()
