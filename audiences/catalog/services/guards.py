"""Checks shared by the catalog's write services: who may change the data model, what uses a thing."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.permissions import can_model
from audiences.catalog.models import Field, Schema
from audiences.catalog.types import FieldTypeKey

FIELD_SPEC_KEYS = frozenset(
    {
        "name",
        "label",
        "type",
        "max_length",
        "precision",
        "scale",
        "enum_values",
        "required",
        "primary_key",
        "is_version",
        "is_personal",
    }
)


def require_modeller(actor, action: str) -> None:
    """Only Administrators change the data model (the product-profile policy says who that is)."""
    if not can_model(actor, action, Schema):
        raise PermissionDenied(_("Only an Administrator may change the data model."))


def refuse_when_used(users: list[str], key: str, message: str) -> None:
    if users:
        unique = list(dict.fromkeys(users))
        raise ValidationError({key: f"{message} {'; '.join(unique)}"}, code="in_use")


def prefixed(error: ValidationError, prefix: str) -> dict[str, list[str]]:
    """A model's validation errors keyed under ``prefix`` (``fields.2.name``) for the API's error paths."""
    if hasattr(error, "error_dict"):
        return {
            f"{prefix}.{key}" if key != "__all__" else prefix: [str(m) for m in error.message_dict[key]]
            for key in error.error_dict
        }
    return {prefix: [str(m) for m in error.messages]}


def field_from_spec(schema: Schema, spec: dict, *, position: int, prefix: str) -> tuple[Field, dict]:
    """An unsaved Field from a spec dict, and its errors keyed by ``prefix``."""
    if not isinstance(spec, dict):
        return Field(), {prefix: [_("A field is an object with a name and a type.")]}
    unknown = sorted(set(spec) - FIELD_SPEC_KEYS)
    if unknown:
        return Field(), {f"{prefix}.{k}": [_("Unknown attribute.")] for k in unknown}
    values = {k: v for k, v in spec.items() if v is not None}
    name = values.get("name")
    field = Field(
        schema=schema,
        name=name,
        column_name=name if isinstance(name, str) else "",
        label=values.get("label") or (name if isinstance(name, str) else ""),
        type=values.get("type", ""),
        max_length=values.get("max_length"),
        precision=values.get("precision"),
        scale=values.get("scale"),
        enum_values=values.get("enum_values") or [],
        required=bool(values.get("required", False)),
        primary_key=bool(values.get("primary_key", False)),
        is_version=bool(values.get("is_version", False)),
        is_personal=bool(values.get("is_personal", False)),
        position=position,
    )
    try:
        field.full_clean(exclude=["schema", "column_name"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return field, prefixed(exc, prefix)
    return field, {}


def reachable_names(schema: Schema, *, ignore_link_id: int | None = None) -> set[str]:
    """Names that already mean something on ``schema``: its fields and the link names seen from it.

    A rule path like ``purchase.customer.email`` must resolve one way only, so links and fields share
    one namespace per schema.
    """
    names = set(schema.fields.values_list("name", flat=True))
    names |= set(schema.links_out.exclude(pk=ignore_link_id).values_list("name", flat=True))
    names |= set(schema.links_in.exclude(pk=ignore_link_id).values_list("reverse_name", flat=True))
    return names


TEXT_TYPES = {FieldTypeKey.STRING, FieldTypeKey.TEXT, FieldTypeKey.ENUM}
