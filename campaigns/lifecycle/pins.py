"""What an approved version pins: the definitions it targets and sends with (ADR 0003).

Requesting approval freezes, next to the graph and the schedule, the ``pins`` section of the version's
document (inside the hashed canonical text):

* ``saved_filters`` and ``audiences``: every saved filter and rule-based audience the graph's rules and
  Read audience activities reference, nested references resolved, as the campaign's owner sees them.
  A live run compiles from these copies (``PinnedDefinitions``, through ``campaigns.engine.rules``), so
  editing a referenced filter or audience after approval changes nothing the approved version targets.
  A static audience is pinned by reference only: its members are read at launch.
* registered kinds (``register_pin_kind``): the channels app pins its channel configurations'
  content-relevant settings and capping rule sets by name with their rules. These are not re-read from
  the pins at send time; instead approve, publish and every launch refuse (400 naming the object and
  the setting) while any of them differs from the pinned copy.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audiences.query.compiler.references import PinnedDefinitions, visible

PINS = "pins"
FILTERS = "saved_filters"
AUDIENCES = "audiences"
READ_AUDIENCE = "targeting.read_audience"
MAX_REFERENCES = 1000  # a bound on the closure of nested references


@dataclass(frozen=True)
class PinKind:
    """A kind of object other apps pin by name: which names an activity uses, and their settings now.

    ``snapshot(name)`` returns ``{setting: JSON value}`` (None when the object no longer exists);
    ``setting_label(setting)`` names a setting for people."""

    key: str
    label: object
    collect: Callable[[str, dict], list[str]]
    snapshot: Callable[[str], dict | None]
    setting_label: Callable[[str], str]


_KINDS: dict[str, PinKind] = {}


def register_pin_kind(kind: PinKind) -> None:
    if kind.key in _KINDS and _KINDS[kind.key] is not kind:
        raise ValueError(f"Pin kind {kind.key} is already registered")
    _KINDS[kind.key] = kind


def pin_kinds() -> dict[str, PinKind]:
    return dict(_KINDS)


# --- collecting ------------------------------------------------------------------------------------------
def _references(value, filters: set[int], audiences: set[int], depth: int = 0) -> None:
    """Saved filter and audience ids referenced anywhere inside a rule (or a whole configuration)."""
    if depth > 200:
        return
    if isinstance(value, dict):
        kind = value.get("type")
        ident = value.get("id") if kind == "saved_filter" else value.get("audience")
        if kind in ("saved_filter", "in_audience", "not_in_audience") and type(ident) is int:
            (filters if kind == "saved_filter" else audiences).add(ident)
        for item in value.values():
            _references(item, filters, audiences, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _references(item, filters, audiences, depth + 1)


def _stamp(moment) -> str | None:
    return moment.isoformat() if moment else None


def _filter_pin(saved) -> dict:
    return {
        "id": saved.pk,
        "name": saved.name,
        "dimension": saved.dimension_id,
        "schema": saved.dimension.schema_id,
        "rule": saved.rule,
        "parameters": saved.parameters or [],
        "visibility": saved.visibility,
        "updated_at": _stamp(saved.updated_at),
    }


def _audience_pin(audience) -> dict:
    from audiences.saved.models import AudienceKind

    rule_based = audience.kind == AudienceKind.RULE
    return {
        "id": audience.pk,
        "name": audience.name,
        "kind": audience.kind,
        "dimension": audience.dimension_id,
        "schema": audience.dimension.schema_id,
        "rule": audience.rule if rule_based else None,
        "visibility": audience.visibility,
        "updated_at": _stamp(audience.updated_at) if rule_based else None,
    }


def _definitions(owner, graph: dict) -> tuple[list[dict], list[dict]]:
    """Every saved filter and audience the graph reaches, nested references resolved (owner's view)."""
    from audiences.saved.models import Audience, AudienceKind, SavedFilter

    filter_ids: set[int] = set()
    audience_ids: set[int] = set()
    names: set[str] = set()
    for item in graph.get("activities", []):
        config = item.get("config") or {}
        _references(config, filter_ids, audience_ids)
        if item.get("type") == READ_AUDIENCE and isinstance(config.get("audience"), str):
            names.add(config["audience"])
    audiences_qs = Audience.objects.select_related("dimension")
    for audience in visible(owner, audiences_qs.filter(name__in=names)):
        audience_ids.add(audience.pk)
    filters: dict[int, dict] = {}
    audiences: dict[int, dict] = {}
    pending_f, pending_a = set(filter_ids), set(audience_ids)
    while (pending_f or pending_a) and len(filters) + len(audiences) < MAX_REFERENCES:
        found_f: set[int] = set()
        found_a: set[int] = set()
        for saved in visible(owner, SavedFilter.objects.select_related("dimension")).filter(pk__in=pending_f):
            filters[saved.pk] = _filter_pin(saved)
            _references(saved.rule, found_f, found_a)
        for audience in visible(owner, audiences_qs).filter(pk__in=pending_a):
            audiences[audience.pk] = _audience_pin(audience)
            if audience.kind == AudienceKind.RULE:
                _references(audience.rule, found_f, found_a)
        pending_f, pending_a = found_f - set(filters), found_a - set(audiences)
    return [filters[k] for k in sorted(filters)], [audiences[k] for k in sorted(audiences)]


def _named(graph: dict) -> dict[str, list[dict]]:
    out = {}
    for key, kind in sorted(_KINDS.items()):
        names: set[str] = set()
        for item in graph.get("activities", []):
            names.update(n for n in kind.collect(item.get("type", ""), item.get("config") or {}) if n)
        if names:
            out[key] = [{"name": name, "settings": kind.snapshot(name)} for name in sorted(names)]
    return out


def pins_collect(*, owner, graph: dict) -> dict:
    """The ``pins`` section of a version's document ({} when the graph references nothing)."""
    filters, audiences = _definitions(owner, graph)
    pins: dict = {}
    if filters:
        pins[FILTERS] = filters
    if audiences:
        pins[AUDIENCES] = audiences
    pins.update(_named(graph))
    if pins:
        pins["pinned_at"] = timezone.now().isoformat()
    return pins


def pinned_definitions(document: dict) -> PinnedDefinitions | None:
    """What a live run compiles references from; None for a version frozen before pins existed."""
    pins = document.get(PINS)
    if pins is None:
        return None
    return PinnedDefinitions(
        filters={int(p["id"]): p for p in pins.get(FILTERS, [])},
        audiences={int(p["id"]): p for p in pins.get(AUDIENCES, [])},
    )


# --- checks ----------------------------------------------------------------------------------------------
def pins_check_fresh(*, pins: dict, test_run) -> None:
    """Refuse a request for approval when a pinned saved filter or rule-based audience was edited after
    the latest test run started: the test run's counts would not be what the version targets."""
    from django.utils.dateparse import parse_datetime

    problems = []
    for key, label in ((FILTERS, _("Saved filter")), (AUDIENCES, _("Audience"))):
        for pin in pins.get(key, []):
            edited = parse_datetime(pin["updated_at"]) if pin.get("updated_at") else None
            if edited is not None and edited > test_run.created_at:
                problems.append(
                    _(
                        "%(kind)s “%(name)s” was edited after the latest test run (#%(run)s); run a test "
                        "again before requesting approval."
                    )
                    % {"kind": label, "name": pin["name"], "run": test_run.pk}
                )
    if problems:
        raise ValidationError({"test_run": problems})


def _show(value) -> str:
    if value in (None, ""):
        return "—"
    return str(value)


def pins_changes(document: dict) -> list[str]:
    """One message per registered pinned object or setting that differs from the pinned copy now."""
    found = []
    pins = document.get(PINS) or {}
    for key, kind in sorted(_KINDS.items()):
        for pin in pins.get(key, []):
            name, before, now = pin["name"], pin.get("settings"), kind.snapshot(pin["name"])
            names = {"kind": kind.label, "name": name}
            if now is None and before is not None:
                found.append(_("%(kind)s “%(name)s” no longer exists.") % names)
                continue
            for setting in sorted(set(before or {}) | set(now or {})):
                old, new = (before or {}).get(setting), (now or {}).get(setting)
                if old != new:
                    found.append(
                        _(
                            "%(kind)s “%(name)s”: %(setting)s changed since the version was frozen "
                            "(%(old)s → %(new)s)."
                        )
                        % {
                            **names,
                            "setting": kind.setting_label(setting),
                            "old": _show(old),
                            "new": _show(new),
                        }
                    )
    return found


def pins_require_unchanged(document: dict) -> None:
    """Refuse (ValidationError keyed ``pins``) while a pinned channel configuration or capping rule set
    differs from its pinned copy: approve, publish and launch call this."""
    changes = pins_changes(document)
    if changes:
        raise ValidationError(
            {
                "pins": [
                    *changes,
                    _("Restore it, or move the campaign back to draft and request approval again."),
                ]
            }
        )


# --- what people see -------------------------------------------------------------------------------------
def _viewable_ids(actor, model, pins: list[dict]) -> set[int]:
    from accounts.permissions import restrict

    ids = [p["id"] for p in pins]
    return set(restrict(actor, "view", model.objects.filter(pk__in=ids)).values_list("pk", flat=True))


def _hidden(actor, document: dict) -> tuple[set[int], set[int]]:
    """Pinned saved filters and audiences ``actor`` may not view (private ones of others)."""
    from audiences.saved.models import Audience, SavedFilter

    pins = document.get(PINS) or {}
    out = []
    for key, model in ((FILTERS, SavedFilter), (AUDIENCES, Audience)):
        viewable = _viewable_ids(actor, model, pins.get(key, []))
        out.append({p["id"] for p in pins.get(key, []) if p["id"] not in viewable})
    return out[0], out[1]


def document_for(actor, document: dict) -> dict:
    """The version's document as ``actor`` may read it: definitions of pinned saved filters and
    audiences they may not view are replaced by ``{"id", "hidden": true}``."""
    if not document.get(PINS):
        return document
    hidden_f, hidden_a = _hidden(actor, document)
    if not hidden_f and not hidden_a:
        return document
    shown = copy.deepcopy(document)
    for key, hidden in ((FILTERS, hidden_f), (AUDIENCES, hidden_a)):
        shown[PINS][key] = [
            {"id": p["id"], "hidden": True} if p["id"] in hidden else p for p in shown[PINS].get(key, [])
        ]
    return shown


@dataclass
class PinRow:
    object: str
    kind: str
    pinned_at: str
    note: str = ""


def pin_rows(*, actor, document: dict, pinned_at) -> tuple[list[PinRow], int]:
    """The review page's "What this version pins" rows, and how many rows were hidden from ``actor``."""
    from audiences.saved.models import Audience, AudienceKind, SavedFilter

    pins = document.get(PINS) or {}
    when = formats.localize(timezone.localtime(pinned_at)) if pinned_at else "—"
    hidden_f, hidden_a = _hidden(actor, document)
    rows: list[PinRow] = []
    current_f = {f.pk: f for f in SavedFilter.objects.filter(pk__in=[p["id"] for p in pins.get(FILTERS, [])])}
    for pin in pins.get(FILTERS, []):
        if pin["id"] in hidden_f:
            continue
        now = current_f.get(pin["id"])
        edited = now is None or now.rule != pin["rule"] or (now.parameters or []) != pin["parameters"]
        note = (
            _("Edited since: the live run uses the pinned definition.") if edited else _("Definition frozen.")
        )
        rows.append(PinRow(pin["name"], str(_("Saved filter")), when, note))
    current_a = {a.pk: a for a in Audience.objects.filter(pk__in=[p["id"] for p in pins.get(AUDIENCES, [])])}
    for pin in pins.get(AUDIENCES, []):
        if pin["id"] in hidden_a:
            continue
        now = current_a.get(pin["id"])
        if pin["kind"] == AudienceKind.STATIC:
            count = now.member_count if now is not None and now.member_count is not None else 0
            kind = _("Static audience")
            note = _("Members are read at launch: %(n)s now.") % {
                "n": formats.number_format(count, force_grouping=True)
            }
        else:
            kind = _("Rule-based audience")
            edited = now is None or now.rule != pin["rule"]
            note = (
                _("Edited since: the live run uses the pinned definition.")
                if edited
                else _("Definition frozen.")
            )
        rows.append(PinRow(pin["name"], str(kind), when, note))
    for key, kind in sorted(_KINDS.items()):
        for pin in pins.get(key, []):
            rows.append(
                PinRow(
                    pin["name"], str(kind.label), when, _("Settings checked at approve, publish and launch.")
                )
            )
    return rows, len(hidden_f) + len(hidden_a)
