"""Writes on saved filters and audiences. Every one checks permissions, validates the rule against the
catalog, and runs in one transaction (an audience's members table and its row change together).
"""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can, can_model
from accounts.services import object_grant_owner
from audiences.catalog import database
from audiences.catalog.selectors import schema_table
from audiences.query.compiler.references import PARAMETER_TYPES, parameter_values
from audiences.query.services import rule_select, rule_validate
from audiences.saved import storage
from audiences.saved.models import Audience, AudienceKind, AudienceSource, SavedFilter, SavedFilterFavourite

MAX_UPLOAD_KEYS = 5_000_000
UPLOAD_BATCH = 5_000


def _check_rule(dimension, rule, variables=None, key: str = "rule", *, actor=None) -> None:
    errors = rule_validate(dimension=dimension, rule=rule, variables=variables, actor=actor, for_user=True)
    if errors:
        out: dict[str, list[str]] = {}
        for error in errors:
            out.setdefault(f"{key}.{error.path}" if error.path else key, []).append(error.message)
        raise ValidationError(out)


def _check_parameters(parameters) -> list[dict]:
    if not isinstance(parameters, list):
        raise ValidationError({"parameters": _("Expected a list of {name, type} objects.")})
    seen = set()
    for index, parameter in enumerate(parameters):
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            raise ValidationError({f"parameters.{index}": _("Each parameter needs a name.")})
        if parameter.get("type") not in PARAMETER_TYPES:
            raise ValidationError(
                {f"parameters.{index}.type": _("Expected one of %s.") % ", ".join(PARAMETER_TYPES)}
            )
        if parameter["name"] in seen:
            raise ValidationError({f"parameters.{index}.name": _("Parameter names must be unique.")})
        seen.add(parameter["name"])
    return parameters


def _sample_variables(parameters: list[dict]) -> dict:
    """Values to validate a parameterised rule with: defaults, else a neutral value of each type."""
    neutral = {
        "string": "x",
        "integer": 1,
        "decimal": "1",
        "float": 1.0,
        "boolean": True,
        "date": "2000-01-01",
        "datetime": "2000-01-01T00:00:00Z",
    }
    given = {p["name"]: p.get("default", neutral[p["type"]]) for p in parameters}
    values, errors = parameter_values(parameters, given, "parameters")
    if errors:
        raise ValidationError({e.path: e.message for e in errors})
    return values


@transaction.atomic
def saved_filter_create(
    *,
    actor,
    name: str,
    dimension,
    rule: dict,
    parameters=(),
    description: str = "",
    visibility: str = "private",
) -> SavedFilter:
    """Save a rule under a name; its creator owns it."""
    if not can_model(actor, "add", SavedFilter):
        raise PermissionDenied(_("Your profile may not create saved filters."))
    parameters = _check_parameters(list(parameters))
    _check_rule(dimension, rule, _sample_variables(parameters), actor=actor)
    saved = SavedFilter(
        name=name,
        description=description,
        dimension=dimension,
        rule=rule,
        parameters=parameters,
        owner=actor,
        visibility=visibility,
    )
    saved.full_clean()
    saved.save()
    object_grant_owner(owner=actor, obj=saved)
    return saved


@transaction.atomic
def saved_filter_update(*, actor, saved_filter: SavedFilter, data: dict) -> SavedFilter:
    if not can(actor, "change", saved_filter):
        raise PermissionDenied(_("Only the owner or an Administrator may change this saved filter."))
    allowed = {"name", "description", "rule", "parameters", "visibility"}
    for key, value in data.items():
        if key in allowed:
            setattr(saved_filter, key, value)
    saved_filter.parameters = _check_parameters(saved_filter.parameters)
    _check_rule(
        saved_filter.dimension, saved_filter.rule, _sample_variables(saved_filter.parameters), actor=actor
    )
    saved_filter.full_clean()
    saved_filter.save(update_fields=[*(k for k in data if k in allowed), "updated_at"])
    return saved_filter


@transaction.atomic
def saved_filter_delete(*, actor, saved_filter: SavedFilter) -> None:
    if not can(actor, "delete", saved_filter):
        raise PermissionDenied(_("Only the owner or an Administrator may delete this saved filter."))
    saved_filter.delete()


@transaction.atomic
def saved_filter_favourite_toggle(*, actor, saved_filter: SavedFilter) -> bool:
    """Mark or unmark a visible saved filter as a favourite of ``actor``; returns the new state."""
    if not can(actor, "view", saved_filter):
        raise PermissionDenied(_("You may not see this saved filter."))
    deleted, _rows = SavedFilterFavourite.objects.filter(saved_filter=saved_filter, user=actor).delete()
    if deleted:
        return False
    SavedFilterFavourite.objects.create(saved_filter=saved_filter, user=actor)
    return True


def saved_filter_apply(*, actor, saved_filter: SavedFilter, parameters: dict | None = None) -> dict:
    """A rule that uses the saved filter with these parameter values (a reference, checked now).

    Editing the returned rule never changes the saved filter; ``saved_filter_expand`` gives a copy of
    its rule instead, for editing as a starting point.
    """
    if not can(actor, "view", saved_filter):
        raise PermissionDenied(_("You may not see this saved filter."))
    rule = {"type": "saved_filter", "id": saved_filter.pk, "parameters": dict(parameters or {})}
    _check_rule(saved_filter.dimension, rule, actor=actor)
    return rule


def saved_filter_copy(*, actor, saved_filter: SavedFilter) -> dict:
    """A deep copy of the saved filter's rule, to edit freely."""
    if not can(actor, "view", saved_filter):
        raise PermissionDenied(_("You may not see this saved filter."))
    import copy

    return copy.deepcopy(saved_filter.rule)


# --- Audiences ---------------------------------------------------------------------------------------


def _keys(dimension):
    keys = [f for f in dimension.schema.fields.all() if f.primary_key]
    return sorted(keys, key=lambda f: (f.position, f.pk))


def _create(actor, *, name, dimension, kind, source="", rule=None, description="", visibility="private"):
    if not can_model(actor, "add", Audience):
        raise PermissionDenied(_("Your profile may not create audiences."))
    audience = Audience(
        name=name,
        description=description,
        dimension=dimension,
        kind=kind,
        source=source,
        rule=rule,
        owner=actor,
        visibility=visibility,
    )
    audience.full_clean()
    audience.save()
    object_grant_owner(owner=actor, obj=audience)
    return audience


@transaction.atomic
def audience_create(
    *,
    actor,
    name: str,
    dimension,
    kind: str,
    rule: dict | None = None,
    description: str = "",
    visibility: str = "private",
) -> Audience:
    """A rule-based audience, or a static one whose members are the rule's rows now."""
    if kind not in AudienceKind.values:
        raise ValidationError({"kind": _("Expected static or rule.")})
    if rule is None and kind == AudienceKind.RULE:
        raise ValidationError({"rule": _("A rule-based audience needs a rule.")})
    if rule is not None:
        _check_rule(dimension, rule, actor=actor)
    source = AudienceSource.RULE if kind == AudienceKind.STATIC else ""
    audience = _create(
        actor,
        name=name,
        dimension=dimension,
        kind=kind,
        source=source,
        rule=rule,
        description=description,
        visibility=visibility,
    )
    if kind == AudienceKind.STATIC:
        _replace(audience, rule_select(dimension=dimension, rule=rule, actor=actor))
    return audience


@transaction.atomic
def audience_create_static(
    *, actor, name: str, dimension, members: sa.Select, description: str = "", visibility: str = "private"
) -> Audience:
    """A static audience whose members are the distinct keys of ``members``, stored once.

    For a campaign's Save audience: its members come from a working table, so nothing is evaluated
    over the whole dimension first (``audience_create`` with a static kind stores its rule's rows).
    ``members`` returns the dimension's key columns labelled by field name, as ``rule_select`` does.
    """
    audience = _create(
        actor,
        name=name,
        dimension=dimension,
        kind=AudienceKind.STATIC,
        source=AudienceSource.CAMPAIGN,
        description=description,
        visibility=visibility,
    )
    _replace(audience, members)
    return audience


def _replace(audience: Audience, select: sa.Select) -> None:
    count = storage.members_create_as(audience, _keys(audience.dimension), select)
    audience.member_count = count
    audience.computed_at = timezone.now()
    audience.save(update_fields=["member_count", "computed_at", "updated_at"])


@transaction.atomic
def audience_replace_members(*, audience: Audience, select: sa.Select, actor=None) -> int:
    """Replace a static audience's members with the distinct keys of ``select`` (set-based).

    ``select`` returns the dimension's key columns labelled by field name (as ``rule_select`` does);
    the campaign engine's Save audience calls this with its working table.
    """
    if actor is not None and not can(actor, "change", audience):
        raise PermissionDenied(_("Only the owner or an Administrator may change this audience."))
    if audience.kind != AudienceKind.STATIC:
        raise ValidationError({"kind": _("Only a static audience stores members.")})
    _replace(audience, select)
    return audience.member_count


@transaction.atomic
def audience_refresh(*, actor, audience: Audience) -> Audience:
    """Re-evaluate a static audience made from a rule, or recount a rule-based one."""
    if not can(actor, "change", audience):
        raise PermissionDenied(_("Only the owner or an Administrator may change this audience."))
    if audience.rule is None:
        raise ValidationError({"rule": _("This audience has no rule to evaluate.")})
    select = rule_select(dimension=audience.dimension, rule=audience.rule, actor=actor)
    if audience.kind == AudienceKind.STATIC:
        _replace(audience, select)
    else:
        count = database.fetch_value(sa.select(sa.func.count()).select_from(select.subquery()))
        audience.member_count, audience.computed_at = int(count), timezone.now()
        audience.save(update_fields=["member_count", "computed_at", "updated_at"])
    return audience


@transaction.atomic
def audience_create_from_upload(
    *, actor, name: str, dimension, upload, description: str = "", visibility: str = "private"
) -> tuple[Audience, int]:
    """A static audience from a CSV whose header names the dimension's key fields.

    Keys that match no row of the dimension are dropped (set-based); returns the audience and how many
    uploaded keys were dropped.
    """
    keys = _keys(dimension)
    names = [f.name for f in keys]
    try:
        text = io.TextIOWrapper(upload, encoding="utf-8-sig") if hasattr(upload, "readable") else upload
        reader = csv.DictReader(text if not isinstance(text, str) else io.StringIO(text))
        header = reader.fieldnames or []
    except (UnicodeDecodeError, csv.Error):
        raise ValidationError({"file": _("The file is not UTF-8 CSV.")}) from None
    missing = [n for n in names if n not in header]
    if missing:
        raise ValidationError({"file": _("The header must name the key fields: %s") % ", ".join(missing)})
    audience = _create(
        actor,
        name=name,
        dimension=dimension,
        kind=AudienceKind.STATIC,
        source=AudienceSource.UPLOAD,
        description=description,
        visibility=visibility,
    )
    from audiences.query.compiler.catalog import value_type
    from audiences.query.rules.values import ValueProblem, convert

    table = storage.members_create_empty(audience, keys, suffix="_upload")
    batch, uploaded = [], 0
    try:
        for line, row in enumerate(reader, start=2):
            try:
                batch.append({f.name: convert(_typed(row[f.name], f), value_type(f)) for f in keys})
            except (ValueProblem, ValueError, TypeError):
                raise ValidationError(
                    {"file": _("Line %(line)s: a key is not valid.") % {"line": line}}
                ) from None
            uploaded += 1
            if uploaded > MAX_UPLOAD_KEYS:
                raise ValidationError({"file": _("At most %s keys.") % MAX_UPLOAD_KEYS})
            if len(batch) >= UPLOAD_BATCH:
                database.execute(sa.insert(table).values(batch))
                batch = []
    except (UnicodeDecodeError, csv.Error):
        raise ValidationError({"file": _("The file is not UTF-8 CSV.")}) from None
    if batch:
        database.execute(sa.insert(table).values(batch))
    # Known keys only, each once: one set-based statement from the staging table.
    dimension_table = schema_table(dimension.schema)
    known = sa.select(*(table.c[n].label(n) for n in names)).where(
        sa.exists().where(*(dimension_table.c[n] == table.c[n] for n in names))
    )
    _replace(audience, known)
    storage.members_drop(audience, suffix="_upload")
    return audience, uploaded - audience.member_count


def _typed(raw: str, field):
    """CSV text as the JSON-like value ``convert`` expects for the field's type."""
    if field.type in ("integer", "bigint"):
        return int(raw)
    if field.type in ("decimal", "float"):
        return raw
    return raw


@transaction.atomic
def audience_update(*, actor, audience: Audience, data: dict) -> Audience:
    if not can(actor, "change", audience):
        raise PermissionDenied(_("Only the owner or an Administrator may change this audience."))
    allowed = {"name", "description", "visibility", "rule"}
    if "rule" in data:
        if audience.kind == AudienceKind.RULE and data["rule"] is None:
            raise ValidationError({"rule": _("A rule-based audience needs a rule.")})
        if data["rule"] is not None:
            _check_rule(audience.dimension, data["rule"], actor=actor)
    for key, value in data.items():
        if key in allowed:
            setattr(audience, key, value)
    audience.full_clean()
    audience.save(update_fields=[*(k for k in data if k in allowed), "updated_at"])
    return audience


@transaction.atomic
def audience_delete(*, actor, audience: Audience) -> None:
    if not can(actor, "delete", audience):
        raise PermissionDenied(_("Only the owner or an Administrator may delete this audience."))
    storage.members_drop(audience)
    audience.delete()
