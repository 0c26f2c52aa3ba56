"""What the demo's local catchers received (an SMTP catcher and an HTTP receiver on loopback)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaughtMessage(models.Model):
    """One message a local catcher received, so a newcomer can read what a demo campaign sent."""

    channel = models.CharField(_("channel"), max_length=10)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject or title"), max_length=255, blank=True)
    body = models.TextField(_("body"), blank=True)
    raw = models.TextField(_("raw message or request"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("caught message")
        verbose_name_plural = _("caught messages (demo catchers)")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}: {self.subject}"
