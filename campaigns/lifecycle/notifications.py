"""Emails to requesters and approvers about reviews, sent after the transaction commits.

The job carries the timeline event's id; the email is composed from that row (what happened, to which
campaign, by whom, with which comment).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.profiles import ProductProfile
from jobs.queue import enqueue_on_commit

NOTIFY = "campaigns.tasks.lifecycle_notify"

SUBJECTS = {
    "campaign.approval_requested": gettext_lazy("Approval requested: %(campaign)s"),
    "campaign.approved": gettext_lazy("Approved: %(campaign)s"),
    "campaign.changes_requested": gettext_lazy("Changes requested: %(campaign)s"),
    "campaign.published": gettext_lazy("Published: %(campaign)s"),
}


def notify_on_commit(event) -> None:
    enqueue_on_commit(NOTIFY, event.pk)


def _recipients(event) -> list[str]:
    from campaigns.models import CampaignVersion

    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if event.kind == "campaign.approval_requested":
        # Approvers review; the requester is told only by the outcome.
        emails = users.filter(groups__name=ProductProfile.APPROVER.value).exclude(pk=event.actor_id)
        return sorted(set(emails.values_list("email", flat=True)))
    number = (event.data or {}).get("version")
    version = CampaignVersion.objects.filter(campaign_id=event.campaign_id, number=number).first()
    if version is None:
        return []
    return sorted(set(users.filter(pk=version.requested_by_id).values_list("email", flat=True)))


def lifecycle_notify(event_id: int) -> int:
    """Send the email of one timeline event; returns how many addresses it went to."""
    from audit.models import DomainEvent

    event = DomainEvent.objects.filter(pk=event_id).first()
    if event is None or event.kind not in SUBJECTS:
        return 0
    recipients = _recipients(event)
    if not recipients:
        return 0
    subject = str(SUBJECTS[event.kind]) % {"campaign": event.campaign_name}
    lines = [
        subject,
        _("By: %(user)s") % {"user": event.actor_name or "-"},
        _("Version: %(n)s") % {"n": (event.data or {}).get("version", "-")},
    ]
    if event.message:
        lines.append(_("Comment: %(comment)s") % {"comment": event.message})
    send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, recipients)
    return len(recipients)
