"""Reads for the review: what changed since the last approved version, the test run's counts."""

from __future__ import annotations

from campaigns.lifecycle.versions import document_diff
from campaigns.models import CampaignVersion, TransitionResult, VersionState


def previous_approved(version: CampaignVersion) -> CampaignVersion | None:
    """The latest earlier version an Approver approved (even if later published or voided by an edit)."""
    return (
        CampaignVersion.objects.filter(campaign_id=version.campaign_id, number__lt=version.number)
        .filter(reviewed_by__isnull=False)
        .exclude(state=VersionState.CHANGES_REQUESTED)
        .order_by("-number")
        .first()
    )


def version_changes(version: CampaignVersion) -> list[dict]:
    """The difference from the last approved (or published) version; everything when there is none."""
    previous = previous_approved(version)
    return document_diff(previous.document if previous else None, version.document)


def test_run_counts(version: CampaignVersion) -> list[TransitionResult]:
    if version.test_run_id is None:
        return []
    return list(TransitionResult.objects.filter(run_id=version.test_run_id).order_by("id"))
