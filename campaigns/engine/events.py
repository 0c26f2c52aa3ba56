"""The run log: one function writes every line (so the wording and levels stay consistent)."""

from __future__ import annotations

from campaigns.models import RunEvent


def run_event(run, message, *, level: str = "info", activity_key: str = "") -> RunEvent:
    return RunEvent.objects.create(run=run, level=level, activity_key=activity_key, message=str(message))
