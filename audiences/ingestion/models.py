"""IngestionRun (one load of data into a schema) and IngestionReject (one rejected value of a run).

Runs are written only by ``audiences.ingestion.services``; the table they load is never half-written, so
a run's counts always describe what the schema's table really received.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audiences.catalog.models import Schema


class IngestionSource(models.TextChoices):
    CSV = "csv", _("CSV file")
    JSON = "json", _("JSON records")


class IngestionOrigin(models.TextChoices):
    ADMIN = "admin", _("Admin upload")
    API = "api", _("API")
    COMMAND = "command", _("Command line")


class IngestionStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class IngestionRun(models.Model):
    """One load into one schema: who started it, how it ended, what it changed.

    ``max_rejects`` None is "all or nothing" (the default); N accepts the load with up to N rejected rows.
    """

    schema = models.ForeignKey(
        Schema, verbose_name=_("schema"), on_delete=models.CASCADE, related_name="ingestion_runs"
    )
    source = models.CharField(_("source"), max_length=8, choices=IngestionSource.choices)
    origin = models.CharField(_("started from"), max_length=8, choices=IngestionOrigin.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=IngestionStatus.choices, default=IngestionStatus.QUEUED
    )
    file = models.FileField(_("file"), upload_to="ingestion/%Y/%m/", blank=True, max_length=255)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.BigIntegerField(_("file size (bytes)"), null=True, blank=True)
    mapping = models.JSONField(
        _("column mapping"), default=dict, blank=True, help_text=_("CSV column -> field name.")
    )
    max_rejects = models.PositiveIntegerField(
        _("accept up to N rejected rows"),
        null=True,
        blank=True,
        help_text=_("Empty: all or nothing (one rejected row fails the load)."),
    )
    processed_rows = models.BigIntegerField(_("rows read"), default=0)
    processed_bytes = models.BigIntegerField(_("bytes read"), default=0)
    inserted = models.BigIntegerField(_("inserted"), default=0)
    updated = models.BigIntegerField(_("updated"), default=0)
    deleted = models.BigIntegerField(_("deleted"), default=0)
    skipped = models.BigIntegerField(_("skipped"), default=0)
    rejected = models.BigIntegerField(_("rejected rows"), default=0)
    error = models.TextField(_("error"), blank=True)
    log = models.TextField(_("log"), blank=True, help_text=_("What the run did besides loading rows."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ingestion run")
        verbose_name_plural = _("ingestion runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["schema", "-created_at"], name="audiences_ingest_schema_idx")]

    def __str__(self) -> str:
        return f"{self.schema.name} #{self.pk}" if self.schema_id else f"#{self.pk}"

    @property
    def mode_label(self) -> str:
        if self.max_rejects is None:
            return str(_("all or nothing"))
        return str(_("accept up to %(n)d rejects") % {"n": self.max_rejects})

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class IngestionReject(models.Model):
    """One refused value: the row (CSV: header is row 1; JSON: record number), column, value and reason."""

    run = models.ForeignKey(IngestionRun, on_delete=models.CASCADE, related_name="rejects")
    row_number = models.BigIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=255, blank=True)
    value = models.TextField(_("value"), blank=True)
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("rejected value")
        verbose_name_plural = _("rejected values")
        ordering = ["run_id", "row_number", "id"]

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}: {self.reason}"
