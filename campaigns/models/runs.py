"""Runs of a campaign: one Run, one Task per activity execution, one TransitionResult per transition.

A transition result names the working table that holds the population on that transition in that run;
the table itself lives in the database (see ``campaigns.engine.worktables``) and is dropped by a purge.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaign import Campaign
from campaigns.models.graph import Activity, Transition


class RunKind(models.TextChoices):
    TEST = "test", _("Test run")
    LIVE = "live", _("Live run")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    STOPPED = "stopped", _("Stopped")


ACTIVE_RUN_STATUSES = (RunStatus.RUNNING, RunStatus.PAUSED)


class Run(models.Model):
    """One execution of a campaign's graph, test (no side effects) or live."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="runs"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RunKind.choices, default=RunKind.TEST)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    trigger = models.CharField(_("started by (system)"), max_length=100, blank=True)
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    graph_version = models.PositiveIntegerField(_("graph version"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    purged_at = models.DateTimeField(_("working tables purged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.pk} ({self.get_kind_display()})"

    @property
    def is_test(self) -> bool:
        return self.kind == RunKind.TEST


class TaskStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    WAITING = "waiting", _("Waiting")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


FINISHED_TASK_STATUSES = (TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.SKIPPED)


class Task(models.Model):
    """One execution of one activity in a run. Re-executing it replaces its outputs."""

    run = models.ForeignKey(Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="tasks")
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.SET_NULL, null=True, related_name="tasks"
    )
    activity_key = models.CharField(_("activity key"), max_length=63)
    type = models.CharField(_("type"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.QUEUED
    )
    input_count = models.BigIntegerField(_("input count"), null=True, blank=True)
    output_count = models.BigIntegerField(_("output count"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    backend_pid = models.IntegerField(_("database backend pid"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    error = models.TextField(_("error"), blank=True)
    sql = models.TextField(_("SQL"), blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["run_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "activity_key"], name="campaigns_task_one_per_activity"),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="campaigns_task_heartbeat")]

    def __str__(self) -> str:
        return f"{self.activity_key} ({self.get_status_display()})"


class TransitionResult(models.Model):
    """The population on one transition in one run: its working table, or "not activated"."""

    run = models.ForeignKey(Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="results")
    transition = models.ForeignKey(
        Transition, verbose_name=_("transition"), on_delete=models.SET_NULL, null=True, related_name="results"
    )
    source_key = models.CharField(_("source activity"), max_length=63)
    output = models.CharField(_("output"), max_length=63)
    target_key = models.CharField(_("target activity"), max_length=63)
    activated = models.BooleanField(_("activated"), default=True)
    table_name = models.CharField(_("working table"), max_length=63, blank=True)
    row_count = models.BigIntegerField(_("row count"), default=0)
    dimension = models.ForeignKey(
        "audiences.TargetingDimension",
        verbose_name=_("dimension"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    key_columns = models.JSONField(_("key columns"), default=list, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transition result")
        verbose_name_plural = _("transition results")
        ordering = ["run_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "source_key", "output"], name="campaigns_result_one_per_output"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_key}.{self.output} -> {self.target_key}: {self.row_count}"


class RunEvent(models.Model):
    """One line of a run's log (started, task done, paused, failed...)."""

    run = models.ForeignKey(Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    level = models.CharField(_("level"), max_length=10, default="info")
    activity_key = models.CharField(_("activity"), max_length=63, blank=True)
    message = models.TextField(_("message"))

    class Meta:
        verbose_name = _("run log entry")
        verbose_name_plural = _("run log")
        ordering = ["run_id", "id"]

    def __str__(self) -> str:
        return self.message
