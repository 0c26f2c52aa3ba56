"""What the campaign engine asks the lifecycle while it executes a task of a live run.

* ``live_config``: the activity's configuration read from the launched version's canonical text
  (after checking its hash), never from the editable rows: a live run executes the approved bytes.
* ``live_pins``: the version's pinned saved filter and audience definitions, which the run's rules
  compile from (``campaigns.lifecycle.pins``).
* ``hold``: a one-time campaign's channel activity waits for a send confirmation.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.lifecycle.pins import pinned_definitions
from campaigns.lifecycle.versions import frozen_document
from campaigns.models import Launch, RunKind, ScheduleKind, SendConfirmation
from campaigns.models.lifecycle import ONE_TIME_KINDS

HOLD_MESSAGE = gettext_lazy("Held: waiting for a user allowed to confirm the send.")


def _launched_document(run) -> dict | None:
    if run.kind != RunKind.LIVE:
        return None
    cached = getattr(run, "_oc_version_document", None)
    if cached is None:
        launch = Launch.objects.select_related("version").filter(run_id=run.pk).first()
        if launch is None:  # fail closed: every live run comes from a launch of a published version
            raise ValueError(_("This live run was not launched from a published version."))
        cached = frozen_document(launch.version)
        run._oc_version_document = cached
    return cached


def live_config(run, activity):
    """The raw configuration a task executes: the version's for a launched live run, else the row's."""
    document = _launched_document(run)
    if document is None:
        return activity.config
    for item in document["graph"]["activities"]:
        if item["key"] == activity.key:
            return item.get("config") or {}
    raise ValueError(_("Activity %(key)s is not in the published version.") % {"key": activity.key})


def live_pins(run):
    """The pinned definitions a launched live run compiles references from (None otherwise)."""
    document = _launched_document(run)
    return None if document is None else pinned_definitions(document)


def hold(run, activity, activity_type, config):
    """A message when the task must wait for a send confirmation, else None."""
    if run.kind != RunKind.LIVE or not getattr(activity_type, "is_channel", False):
        return None
    if getattr(config, "send_without_confirmation", False):
        return None
    document = _launched_document(run)
    kind = (document or {}).get("schedule", {}).get("kind", ScheduleKind.ASAP) if document else None
    if kind not in ONE_TIME_KINDS:
        return None
    if SendConfirmation.objects.filter(run_id=run.pk, activity_key=activity.key).exists():
        return None
    return str(HOLD_MESSAGE)
