"""Writes on targeting dimensions: which schema campaigns target, through which identity and addresses."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audiences.catalog.hooks import dimension_created_hooks
from audiences.catalog.models import Schema, TargetingDimension
from audiences.catalog.services.guards import refuse_when_used, require_modeller
from audiences.catalog.services.schemas import index_exists_for
from audiences.catalog.usage import dimension_users

DIMENSION_EDITABLE = ("label", "is_default", *TargetingDimension.ROLE_FIELDS)


def _apply(dimension: TargetingDimension, data: dict) -> list[str]:
    """Copy ``data`` (roles given as field names) onto ``dimension``; returns the changed attributes."""
    unknown = sorted(set(data) - set(DIMENSION_EDITABLE))
    if unknown:
        raise ValidationError({k: _("Unknown attribute.") for k in unknown})
    fields = {f.name: f for f in dimension.schema.fields.all()}
    errors, changed = {}, []
    for key, value in data.items():
        if key in TargetingDimension.ROLE_FIELDS:
            if value in (None, ""):
                field = None
            elif value not in fields:
                errors[key] = _("“%(schema)s” has no field “%(field)s”.") % {
                    "schema": dimension.schema.name,
                    "field": value,
                }
                continue
            else:
                field = fields[value]
            if getattr(dimension, f"{key}_id") != (field.pk if field else None):
                setattr(dimension, key, field)
                changed.append(key)
        elif getattr(dimension, key) != value:
            setattr(dimension, key, value)
            changed.append(key)
    if errors:
        raise ValidationError(errors)
    return changed


def _validate(dimension: TargetingDimension) -> None:
    dimension.full_clean()
    identity = dimension.identity_field
    if not index_exists_for(dimension.schema, [identity.column_name], unique=True):
        raise ValidationError(
            {
                "identity_field": _(
                    "The identity must be the schema's only primary-key field or uniquely indexed."
                )
            }
        )
    if dimension.is_default:
        # One default: the partial unique constraint guards it; the service moves it.
        TargetingDimension.objects.filter(is_default=True).exclude(pk=dimension.pk).update(is_default=False)


@transaction.atomic
def targeting_dimension_create(*, actor, schema: Schema, data: dict) -> TargetingDimension:
    """Make ``schema`` targetable. The first dimension becomes the default. Registered
    ``dimension_created_hooks`` (``audiences/catalog/hooks.py``) run last, in this transaction."""
    require_modeller(actor, "add")
    if TargetingDimension.objects.filter(schema=schema).exists():
        raise ValidationError({"schema": _("This schema is already a targeting dimension.")})
    if not data.get("identity_field"):
        raise ValidationError({"identity_field": _("This field is required.")})
    dimension = TargetingDimension(schema=schema)
    _apply(dimension, data)
    if not TargetingDimension.objects.exists():
        dimension.is_default = True
    _validate(dimension)
    dimension.save()
    dimension_created_hooks.run(actor=actor, dimension=dimension)  # other apps' additions, same transaction
    return dimension


@transaction.atomic
def targeting_dimension_update(*, actor, dimension: TargetingDimension, data: dict) -> TargetingDimension:
    require_modeller(actor, "change")
    dimension = TargetingDimension.objects.select_for_update().select_related("schema").get(pk=dimension.pk)
    if "schema" in data and data["schema"] != dimension.schema.name:
        raise ValidationError({"schema": _("A dimension's schema cannot change.")})
    data = {k: v for k, v in data.items() if k != "schema"}
    changed = _apply(dimension, data)
    if changed:
        _validate(dimension)
        dimension.save(update_fields=[*changed, "updated_at"])
    return dimension


@transaction.atomic
def targeting_dimension_delete(*, actor, dimension: TargetingDimension) -> None:
    require_modeller(actor, "delete")
    refuse_when_used(
        dimension_users(dimension), "dimension", _("The dimension cannot be deleted; it is used by:")
    )
    dimension.delete()
