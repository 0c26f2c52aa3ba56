"""How a channel sends: ChannelConfiguration, plus the rules every marketing send obeys
(CappingRule) and the addresses that must not be contacted again (SuppressionEntry).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.names import DisplayNamed


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Push")


class Category(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    TRANSACTIONAL = "transactional", _("Transactional")


class DeliveryLevel(models.TextChoices):
    TARGET = "target", _("One message per targeted row")
    SECONDARY = "secondary", _("One message per row of a secondary dimension")


class ChannelConfiguration(DisplayNamed, models.Model):
    display_name_fields = ("name", "from_name")
    """A provider and its settings, the sender identity, the rate limit and where addresses come from.

    ``provider_settings`` is raw JSON here; ``channels.providers`` parses it into the provider's typed
    settings at every boundary (admin, API, sender), so a bad setting is refused when saved.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    marketing = models.BooleanField(_("serves marketing messages"), default=True)
    transactional = models.BooleanField(_("serves transactional messages"), default=False)
    provider = models.CharField(_("provider"), max_length=50)
    provider_settings = models.JSONField(_("provider settings"), default=dict, blank=True)
    from_email = models.CharField(_("from address"), max_length=254, blank=True)
    from_name = models.CharField(_("from name"), max_length=100, blank=True)
    reply_to = models.CharField(_("reply-to address"), max_length=254, blank=True)
    sms_sender_id = models.CharField(_("SMS sender id"), max_length=20, blank=True)
    rate_per_second = models.PositiveIntegerField(
        _("messages per second"), default=50, validators=[MinValueValidator(1), MaxValueValidator(2000)]
    )
    throttle_window_hours = models.PositiveIntegerField(
        _("sending window (hours)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text=_("Recipients not sent within this window are excluded as throttled."),
    )
    dimension = models.ForeignKey(
        "audiences.TargetingDimension",
        verbose_name=_("targeting dimension"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    delivery_level = models.CharField(
        _("delivery level"), max_length=10, choices=DeliveryLevel.choices, default=DeliveryLevel.TARGET
    )
    secondary_link = models.CharField(
        _("secondary dimension link"),
        max_length=63,
        blank=True,
        help_text=_("The 1-N link from the targeting dimension to the rows that each get a message."),
    )
    address_field = models.CharField(
        _("address field"),
        max_length=63,
        blank=True,
        help_text=_("Empty: the dimension's address field for this channel."),
    )
    tracking_base_url = models.URLField(_("tracking base URL"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("channel configuration")
        verbose_name_plural = _("channel configurations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def serves(self, category: str) -> bool:
        return bool(self.marketing if category == Category.MARKETING else self.transactional)


class CappingPeriod(models.TextChoices):
    DAY = "day", _("Day (UTC)")
    WEEK = "week", _("Week (UTC, from Monday)")
    MONTH = "month", _("Month (UTC)")


class CappingRule(models.Model):
    """At most ``max_messages`` marketing messages per address on a channel per period, counted from
    the ledger across every campaign. Rules are grouped in named rule sets that activities choose."""

    rule_set = models.CharField(_("rule set"), max_length=63, default="default")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    max_messages = models.PositiveIntegerField(_("at most (messages)"), validators=[MinValueValidator(1)])
    period = models.CharField(_("per"), max_length=5, choices=CappingPeriod.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("capping rule")
        verbose_name_plural = _("capping rules")
        ordering = ["rule_set", "channel", "period"]

    def __str__(self) -> str:
        return f"{self.rule_set}: {self.max_messages}/{self.period} ({self.channel})"


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Spam complaint")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
    MANUAL = "manual", _("Added by hand")


class SuppressionEntry(models.Model):
    """An address that must not receive this channel's messages again (any campaign, any category
    except that transactional sends ignore unsubscribes)."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppression entry")
        verbose_name_plural = _("suppression list")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="oc_channels_suppression_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"


class ProofRecipient(models.Model):
    """An address proofs may go to, kept by Administrators (issue 12 §3): a reviewer's seed address or
    a test profile. Besides these, proofs go only to active platform users' own addresses, so a proof
    (rendered from real rows) cannot be sent to an outside address."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    label = models.CharField(_("label"), max_length=100, blank=True, help_text=_("Whose address this is."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("proof recipient")
        verbose_name_plural = _("proof recipients")
        ordering = ["channel", "address"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="oc_channels_proof_recipient_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} <{self.address}>" if self.label else self.address


class RateBucket(models.Model):
    """The token bucket of one configuration, shared by every sender process: a row locked
    ``FOR UPDATE`` while tokens are taken. A provider's 429 drains it (``tokens`` goes negative), which
    slows every worker, not only the one that was told."""

    configuration = models.OneToOneField(
        ChannelConfiguration, on_delete=models.CASCADE, related_name="rate_bucket", primary_key=True
    )
    tokens = models.FloatField(default=0)
    updated_at = models.DateTimeField()
    slow_factor = models.FloatField(default=1.0, help_text=_("1 = full rate; 0.5 = half rate after a 429."))

    class Meta:
        verbose_name = _("rate bucket")
        verbose_name_plural = _("rate buckets")

    def __str__(self) -> str:
        return f"{self.configuration_id}: {self.tokens:.1f}"
