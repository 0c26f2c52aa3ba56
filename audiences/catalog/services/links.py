"""Writes on links: validated key pairs, a uniqueness check on the "one" side, an index on the "many" side.

Cardinality is a promise the rule compiler relies on (an N-1 join never multiplies rows), so the "one"
side's keys must be its primary key or a unique index.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audiences.catalog.models import Field, Link, LinkCardinality, LinkKey, Schema
from audiences.catalog.services.guards import reachable_names, refuse_when_used, require_modeller
from audiences.catalog.services.schemas import index_ensure, index_exists_for
from audiences.catalog.types import field_type
from audiences.catalog.usage import link_users

LINK_EDITABLE = ("name", "reverse_name", "label")


def _resolve_keys(source: Schema, target: Schema, keys) -> list[tuple[Field, Field]]:
    if not isinstance(keys, list | tuple) or not keys:
        raise ValidationError({"keys": _("A link needs at least one pair of key fields.")})
    source_fields = {f.name: f for f in source.fields.all()}
    target_fields = {f.name: f for f in target.fields.all()}
    pairs: list[tuple[Field, Field]] = []
    errors: dict[str, list[str]] = {}
    for index, pair in enumerate(keys):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            errors[f"keys.{index}"] = [_("A key is a pair [source field, target field].")]
            continue
        left, right = (source_fields.get(pair[0]), target_fields.get(pair[1]))
        if left is None:
            errors[f"keys.{index}"] = [
                _("“%(schema)s” has no field “%(field)s”.") % {"schema": source.name, "field": pair[0]}
            ]
        elif right is None:
            errors[f"keys.{index}"] = [
                _("“%(schema)s” has no field “%(field)s”.") % {"schema": target.name, "field": pair[1]}
            ]
        elif field_type(left.type).family != field_type(right.type).family:
            errors[f"keys.{index}"] = [
                _("%(left)s (%(lt)s) and %(right)s (%(rt)s) cannot be compared.")
                % {"left": left, "lt": left.type, "right": right, "rt": right.type}
            ]
        else:
            pairs.append((left, right))
    if not errors and len({p[0].pk for p in pairs}) != len(pairs):
        errors["keys"] = [_("A source field appears twice.")]
    if errors:
        raise ValidationError(errors)
    return pairs


def _check_names(link: Link) -> None:
    errors = {}
    if link.name in reachable_names(link.source, ignore_link_id=link.pk):
        errors["name"] = _("“%s” is already a field or link of the source schema.") % link.name
    if link.reverse_name in reachable_names(link.target, ignore_link_id=link.pk):
        errors["reverse_name"] = (
            _("“%s” is already a field or link of the target schema.") % link.reverse_name
        )
    if link.source_id == link.target_id and link.name == link.reverse_name:
        errors["reverse_name"] = _("A link from a schema to itself needs two different names.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def link_create(
    *,
    actor,
    source: Schema,
    target: Schema,
    name: str,
    reverse_name: str,
    cardinality: str,
    keys: list[tuple[str, str]] | list[list[str]],
    label: str = "",
) -> Link:
    """Link ``source`` to ``target`` on key field pairs; index the "many" side's key columns (managed)."""
    require_modeller(actor, "add")
    link = Link(
        source=source,
        target=target,
        name=name,
        reverse_name=reverse_name,
        cardinality=cardinality,
        label=label,
    )
    link.full_clean()
    _check_names(link)
    pairs = _resolve_keys(source, target, keys)
    source_columns = [p[0].column_name for p in pairs]
    target_columns = [p[1].column_name for p in pairs]
    one_side, one_columns, many_side, many_columns = {
        LinkCardinality.MANY_TO_ONE: (target, target_columns, source, source_columns),
        LinkCardinality.ONE_TO_ONE: (target, target_columns, source, source_columns),
        LinkCardinality.ONE_TO_MANY: (source, source_columns, target, target_columns),
    }[LinkCardinality(cardinality)]
    if not index_exists_for(one_side, one_columns, unique=True):
        raise ValidationError(
            {
                "keys": _(
                    "On “%(schema)s” (the “one” side) the keys must be its primary key or a unique index."
                )
                % {"schema": one_side.name}
            }
        )
    link.save()
    LinkKey.objects.bulk_create(
        LinkKey(link=link, source_field=left, target_field=right, position=i)
        for i, (left, right) in enumerate(pairs)
    )
    if many_side.is_managed and not index_exists_for(many_side, many_columns, unique=False):
        index_ensure(schema=many_side, columns=many_columns)
    return link


@transaction.atomic
def link_update(*, actor, link: Link, data: dict) -> Link:
    """Rename or relabel a link. Renaming a used link is refused with the list of its users."""
    require_modeller(actor, "change")
    link = Link.objects.select_for_update().select_related("source", "target").get(pk=link.pk)
    unknown = sorted(k for k in data if k not in LINK_EDITABLE)
    if unknown:
        raise ValidationError({k: _("Remove the link and create another to change this.") for k in unknown})
    changed = [k for k in LINK_EDITABLE if k in data and getattr(link, k) != data[k]]
    if {"name", "reverse_name"} & set(changed):
        refuse_when_used(link_users(link), "name", _("The link cannot be renamed; it is used by:"))
    for key in changed:
        setattr(link, key, data[key])
    if changed:
        link.full_clean()
        _check_names(link)
        link.save(update_fields=changed)
    return link


@transaction.atomic
def link_remove(*, actor, link: Link) -> None:
    """Remove a link (its index stays: it still serves joins). Refused while anything uses it."""
    require_modeller(actor, "delete")
    refuse_when_used(link_users(link), "link", _("The link cannot be removed; it is used by:"))
    link.delete()
