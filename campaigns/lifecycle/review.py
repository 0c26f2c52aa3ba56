"""What an Approver reviews: the difference from the last approved version, the test run's count on
every transition, and every message of the version rendered (channels' sandboxed renderer) with the
test run's first recipient when the reviewer may see personal data, else with sample values."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from accounts.permissions import can_preview_personal_data
from campaigns.activities import registry
from campaigns.activities.config import ConfigError
from campaigns.activities.labels import field_label
from campaigns.lifecycle.review_rows import change_rows, count_rows
from campaigns.lifecycle.selectors import previous_approved, test_run_counts, version_changes
from campaigns.models import CampaignVersion


@dataclass
class MessagePreview:
    activity_key: str
    channel: str
    activity_label: str = ""
    parts: list[tuple[str, str]] = field(default_factory=list)  # (part, rendered text or HTML)
    error: str = ""
    sample: bool = True


def _recipient(actor, version: CampaignVersion, activity_key: str) -> dict | None:
    from campaigns.selectors import transition_result_preview

    if not can_preview_personal_data(actor) or version.test_run_id is None:
        return None
    result = (
        version.test_run.results.filter(target_key=activity_key, activated=True)
        .exclude(table_name="")
        .first()
    )
    if result is None:
        return None
    try:
        preview = transition_result_preview(actor=actor, result=result, limit=1)
    except ValidationError:
        return None
    if not preview["rows"]:
        return None
    return dict(zip([c["name"] for c in preview["columns"]], preview["rows"][0], strict=False))


def message_previews(*, actor, version: CampaignVersion) -> list[MessagePreview]:
    from channels.activities.configs import sample_context
    from channels.content import template_parts
    from channels.models import ChannelConfiguration
    from channels.personalization.templates import TemplateProblem, render

    found = []
    for item in version.document["graph"]["activities"]:
        activity_type = registry.get(item["type"])
        if activity_type is None or not activity_type.is_channel:
            continue
        preview = MessagePreview(
            item["key"],
            activity_type.channel,
            activity_label=item.get("label") or str(activity_type.label),
        )
        try:
            config = activity_type.parse(item.get("config") or {})
        except ConfigError as exc:
            preview.error = str(exc)
            found.append(preview)
            continue
        configuration = (
            ChannelConfiguration.objects.select_related("dimension__schema")
            .filter(name=config.configuration)
            .first()
        )
        context = sample_context(configuration.dimension if configuration else None)
        context.update(
            campaign={"id": version.campaign_id, "name": version.campaign.name},
            activity={"key": item["key"], "label": item.get("label") or item["key"]},
            channel=activity_type.channel,
        )
        row = _recipient(actor, version, item["key"])
        if row:
            context["recipient"] = {**context["recipient"], **row}
            preview.sample = False
        try:
            for path, source, html in template_parts(activity_type.channel, config.content):
                part = field_label(path.rsplit(".", 1)[-1])
                preview.parts.append((part, render(source, context, html=html)))
        except TemplateProblem as exc:
            preview.error = exc.message
        found.append(preview)
    return found


def review_context(*, actor, version: CampaignVersion) -> dict:
    from campaigns.lifecycle.pins import pin_rows

    previous = previous_approved(version)
    rows, hidden = pin_rows(actor=actor, document=version.document, pinned_at=version.requested_at)
    return {
        "version": version,
        "pins": rows,
        "pins_hidden": hidden,
        "changes": change_rows(
            version_changes(version), previous.document if previous else None, version.document
        ),
        "counts": count_rows(test_run_counts(version), version.document),
        "message_previews": message_previews(actor=actor, version=version),
    }
