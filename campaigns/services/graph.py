"""Writes on a campaign's graph: the whole document at once (API, canvas) or one row (admin inlines).

Every write checks ``change`` on the campaign, validates, bumps ``Campaign.graph_version`` and is
refused while a run is in progress (a run reads the graph as it goes).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import can
from audit.recorder import records_created
from campaigns.activities import registry
from campaigns.activities.config import ConfigError
from campaigns.activities.types.incremental_query import processed_tables_drop
from campaigns.engine.validation import MAX_ACTIVITIES, GraphError, graph_check
from campaigns.exceptions import StaleGraph
from campaigns.models import Activity, Campaign, Transition
from campaigns.models.runs import ACTIVE_RUN_STATUSES

ACTIVITY_FIELDS = ("key", "type", "label", "x", "y", "config", "enabled", "breakpoint")


def graph_document(campaign: Campaign) -> dict:
    """The graph as one JSON document (what the canvas edits)."""
    activities = list(campaign.activities.order_by("id"))
    keys = {a.pk: a.key for a in activities}
    return {
        "version": campaign.graph_version,
        "activities": [{f: getattr(a, f) for f in ACTIVITY_FIELDS} for a in activities],
        "transitions": [
            {"source": keys[t.source_id], "output": t.output, "target": keys[t.target_id], "label": t.label}
            for t in campaign.transitions.order_by("id")
        ],
    }


def graph_errors_as_validation(errors: list[GraphError]) -> ValidationError:
    messages: dict[str, list[str]] = {}
    for e in errors:
        messages.setdefault(e.path, []).append(e.message)
    return ValidationError(messages)


def _lock(actor, campaign: Campaign) -> Campaign:
    if not can(actor, "change", campaign):
        raise PermissionDenied(_("You may not edit this campaign."))
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.runs.filter(status__in=ACTIVE_RUN_STATUSES).exists():
        raise ValidationError({"graph": _("A run is in progress; stop it before editing the graph.")})
    from campaigns.lifecycle.services import campaign_edited

    campaign_edited(actor=actor, campaign=locked)  # voids an approval; refuses edits once published
    return locked


@transaction.atomic
def campaign_graph_replace(*, actor, campaign: Campaign, document: dict, version: int | None) -> Campaign:
    """Replace the whole graph; activities keep their ids by key, transitions by (source, output).

    Only what changed is written: an activity or transition equal to the stored one is left alone,
    new ones are inserted in bulk with their history and timeline rows (``records_created``), changed
    and removed ones one by one (their history records the difference). A graph over the activity
    limit is refused before anything else is looked at."""
    activities = document.get("activities") or []
    if len(activities) > MAX_ACTIVITIES:
        raise ValidationError({"activities": [too_many_activities_message()]})
    locked = _lock(actor, campaign)
    if version is None or int(version) != locked.graph_version:
        raise StaleGraph()
    _parsed, errors = graph_check(document, reader=actor)
    if errors:
        raise graph_errors_as_validation(errors)
    existing = {a.key: a for a in locked.activities.all()}
    wanted = {item["key"]: item for item in activities}
    wanted_edges = {
        (t["source"], t.get("output") or "out"): (t["target"], t.get("label", ""))
        for t in document.get("transitions") or []
    }
    stale_edges, kept_edges = [], set()
    for t in locked.transitions.select_related("source", "target"):
        if wanted_edges.get((t.source.key, t.output)) == (t.target.key, t.label):
            kept_edges.add((t.source.key, t.output))
        else:
            stale_edges.append(t.pk)
    if stale_edges:
        Transition.objects.filter(pk__in=stale_edges).delete()
    processed_tables_drop(  # what removed or retyped incremental queries remembered goes with them
        a for key, a in existing.items() if key not in wanted or wanted[key].get("type", a.type) != a.type
    )
    removed = [a.pk for key, a in existing.items() if key not in wanted]
    if removed:
        Activity.objects.filter(pk__in=removed).delete()
    saved: dict[str, Activity] = {}
    created: list[Activity] = []
    for key, item in wanted.items():
        activity = existing.get(key) or Activity(campaign=locked, key=key)
        changed = activity.pk is None
        for f in ACTIVITY_FIELDS[1:]:
            if f in item and getattr(activity, f) != item[f]:
                setattr(activity, f, item[f])
                changed = True
        saved[key] = activity
        if not changed:
            continue
        # Keys are unique in the document (graph_check), so the per-row uniqueness queries are skipped.
        _clean_named(activity, f"activities.{key}", exclude=["campaign"])
        if activity.pk is None:
            created.append(activity)
        else:
            activity.save()
    if created:
        Activity.objects.bulk_create(created)
        records_created(created, user=actor)
    new_edges = []
    for (source, output), (target, label) in wanted_edges.items():
        if (source, output) in kept_edges:
            continue
        transition = Transition(
            campaign=locked, source=saved[source], output=output, target=saved[target], label=label
        )
        _clean_named(
            transition,
            f"transitions.{source}.{transition.output}",
            exclude=["campaign", "source", "target"],
        )
        new_edges.append(transition)
    if new_edges:
        Transition.objects.bulk_create(new_edges)
        records_created(new_edges, user=actor)
    return _bump(locked)


def max_graph_transitions() -> int:
    """More transitions than any legitimate graph of the largest size has (an output feeds at most one
    edge; 20 per activity is far above what the activity types offer)."""
    return 20 * MAX_ACTIVITIES


def too_many_activities_message() -> str:
    return _("At most %(n)s activities.") % {"n": MAX_ACTIVITIES}


def _clean_named(row, path: str, *, exclude: list[str]) -> None:
    """``full_clean`` with errors named after their activity or transition (``activities.<key>.label``)."""
    try:
        row.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(
            {f"{path}.{field}": messages for field, messages in error.message_dict.items()}
        ) from None


def campaign_graph_check(campaign: Campaign) -> list[GraphError]:
    """Every problem of the stored graph (empty when it can run); it runs as its owner reads."""
    return graph_check(graph_document(campaign), reader=campaign.owner)[1]


def activity_config_errors(type_key: str, config) -> list[tuple[str, str]]:
    """Problems of one configuration on its own (the admin inline shows them on the field)."""
    if registry.is_channel_placeholder(type_key):
        return []
    activity_type = registry.get(type_key)
    if activity_type is None:
        return [("type", _("Unknown activity type %(type)s.") % {"type": type_key})]
    try:
        activity_type.parse(config)
    except ConfigError as exc:
        return [("config", exc.message if not exc.path else f"{exc.path}: {exc.message}")]
    return []


@transaction.atomic
def activity_save(*, actor, activity: Activity) -> Activity:
    locked = _lock(actor, activity.campaign)
    errors = activity_config_errors(activity.type, activity.config)
    if errors:
        raise ValidationError(dict((f, [m]) for f, m in errors))
    activity.full_clean()
    activity.save()
    _bump(locked)
    return activity


@transaction.atomic
def activity_delete(*, actor, activity: Activity) -> None:
    locked = _lock(actor, activity.campaign)
    processed_tables_drop([activity])
    activity.delete()
    _bump(locked)


@transaction.atomic
def transition_save(*, actor, transition: Transition) -> Transition:
    locked = _lock(actor, transition.campaign)
    if transition.source.campaign_id != locked.pk or transition.target.campaign_id != locked.pk:
        raise ValidationError({"source": _("Both activities must belong to the campaign.")})
    transition.full_clean()
    transition.save()
    _bump(locked)
    return transition


@transaction.atomic
def transition_delete(*, actor, transition: Transition) -> None:
    locked = _lock(actor, transition.campaign)
    transition.delete()
    _bump(locked)


def _bump(campaign: Campaign) -> Campaign:
    campaign.graph_version += 1
    campaign.save(update_fields=["graph_version", "updated_at"])
    return campaign
