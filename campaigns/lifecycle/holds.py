"""Send confirmation: a one-time live campaign holds each channel activity until a user allowed to
confirm sends releases it, unless the activity's configuration says ``send_without_confirmation``.

The hold is a paused task (no worker waits); confirming records who released it and queues the task.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from accounts.permissions import can
from campaigns import events
from campaigns.models import Campaign, Run, RunKind, RunStatus, SendConfirmation, Task, TaskStatus


def held_tasks(*, campaign: Campaign | None = None) -> QuerySet[Task]:
    """Channel tasks of live runs that wait for a send confirmation."""
    confirmed = SendConfirmation.objects.filter(
        run_id=OuterRef("run_id"), activity_key=OuterRef("activity_key")
    )
    tasks = (
        Task.objects.filter(
            run__kind=RunKind.LIVE,
            run__status__in=[RunStatus.RUNNING, RunStatus.PAUSED],
            status=TaskStatus.PAUSED,
            type__startswith="channel.",
        )
        .exclude(Exists(confirmed))
        .select_related("run", "run__campaign")
    )
    return tasks.filter(run__campaign=campaign) if campaign is not None else tasks


@transaction.atomic
def send_confirm(*, actor, task: Task) -> SendConfirmation:
    from campaigns.engine import scheduler

    run = Run.objects.select_for_update().select_related("campaign").get(pk=task.run_id)
    if not can(actor, "confirm_send", run.campaign):
        raise PermissionDenied(_("You may not confirm sends of this campaign."))
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if not held_tasks().filter(pk=locked.pk).exists():
        raise ValidationError({"task": _("This activity is not waiting for a confirmation.")})
    confirmation = SendConfirmation.objects.create(
        run=run, activity_key=locked.activity_key, confirmed_by=actor
    )
    locked.status = TaskStatus.QUEUED
    locked.message = _("Send confirmed by %(user)s.") % {"user": actor}
    locked.save(update_fields=["status", "message"])
    if run.status == RunStatus.PAUSED:
        run.status = RunStatus.RUNNING
        run.save(update_fields=["status"])
    scheduler.enqueue(locked)
    events.campaign_send_confirmed_event(
        campaign=run.campaign, actor=actor, run=run, activity_key=locked.activity_key
    )
    return confirmation
