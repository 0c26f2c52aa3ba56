"""Frozen versions: the document a version holds, its canonical text and hash, and diffs between them.

The canonical text (sorted keys, no spaces, UTF-8) is what is hashed and what a live run reads back,
so "what runs" and "what was approved" are compared byte for byte.
"""

from __future__ import annotations

import hashlib
import json

from campaigns.models import Campaign, CampaignSchedule, CampaignVersion, ScheduleKind
from campaigns.services.graph import graph_document


def schedule_document(campaign: Campaign) -> dict:
    schedule = CampaignSchedule.objects.filter(campaign=campaign).first() or CampaignSchedule(
        kind=ScheduleKind.ASAP
    )
    return {
        "kind": schedule.kind,
        "rule": schedule.rule or {},
        "timezone": schedule.timezone,
        "valid_from": schedule.valid_from.isoformat() if schedule.valid_from else None,
        "valid_until": schedule.valid_until.isoformat() if schedule.valid_until else None,
        "parameters": schedule.parameters or [],
        "trigger_interval_seconds": schedule.trigger_interval_seconds,
    }


def campaign_document(campaign: Campaign) -> dict:
    """Everything approval covers: the graph (every activity's configuration and content) and the schedule."""
    graph = graph_document(campaign)
    graph.pop("version", None)
    return {"graph": graph, "schedule": schedule_document(campaign)}


def canonical_text(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_hash(campaign: Campaign) -> str:
    return content_hash(canonical_text(campaign_document(campaign)))


def approved_part(document: dict) -> dict:
    """The part of a version's document the stored campaign must still match: graph and schedule (the
    ``pins`` section holds copies of other objects, checked by ``campaigns.lifecycle.pins``)."""
    return {key: document[key] for key in ("graph", "schedule") if key in document}


def version_matches(campaign: Campaign, version: CampaignVersion) -> bool:
    """Whether the stored graph and schedule still hash to what ``version`` froze (False if tampered)."""
    try:
        document = frozen_document(version)
    except ValueError:
        return False
    return current_hash(campaign) == content_hash(canonical_text(approved_part(document)))


def frozen_document(version: CampaignVersion) -> dict:
    """The version's document read back from its canonical text, after checking the text's hash."""
    if content_hash(version.document_text) != version.content_hash:
        raise ValueError(f"Version {version.pk} does not match its content hash")
    return json.loads(version.document_text)


def _keyed(document: dict) -> dict:
    graph = document.get("graph", {})
    out = {f"activity:{a['key']}": a for a in graph.get("activities", [])}
    for t in graph.get("transitions", []):
        out[f"transition:{t['source']}.{t.get('output', 'out')}"] = t
    out["schedule"] = document.get("schedule", {})
    return out


def _walk(path: str, old, new, found: list[dict]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _walk(f"{path}.{key}" if path else str(key), old.get(key), new.get(key), found)
    elif old != new:
        found.append({"path": path, "old": old, "new": new})


def document_diff(old: dict | None, new: dict) -> list[dict]:
    """Changes from ``old`` to ``new`` as ``{"path", "old", "new"}`` by activity key, transition output
    and setting (an added activity shows with ``old`` null)."""
    found: list[dict] = []
    before, after = _keyed(old or {}), _keyed(new)
    for key in sorted(set(before) | set(after)):
        if key not in before or key not in after:
            found.append({"path": key, "old": before.get(key), "new": after.get(key)})
        else:
            _walk(key, before[key], after[key], found)
    return found
