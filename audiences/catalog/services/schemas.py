"""Writes on schemas, fields and indexes, each changing the physical table in the same transaction.

Managed tables change online only: a new nullable column, a new index. Column names are fixed once
created, so renaming a field is a catalog change and never rewrites a table.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from audiences.catalog import physical
from audiences.catalog.models import Field, Schema, SchemaIndex, SchemaKind
from audiences.catalog.names import managed_table_name
from audiences.catalog.services.guards import (
    field_from_spec,
    prefixed,
    reachable_names,
    refuse_when_used,
    require_modeller,
)
from audiences.catalog.usage import field_users, schema_users

# Most fields a managed schema may have: PostgreSQL refuses tables past 1,600 columns (dropped ones
# count) and rows past one 8 kB page ("row is too big") well before that with wide types.
MAX_FIELDS = 400
SCHEMA_EDITABLE = ("name", "label", "description")
FIELD_EDITABLE = ("name", "label", "is_personal", "is_version", "position")


def _existing_tables() -> set[str]:
    with connection.cursor() as cursor:
        return {t.name for t in connection.introspection.get_table_list(cursor)}


def _validate_fields(schema: Schema, specs: list[dict], *, key: str = "fields") -> list[Field]:
    if not isinstance(specs, list) or not specs:
        raise ValidationError({key: _("A schema needs at least one field.")})
    if len(specs) > MAX_FIELDS:
        problem = _("A schema has at most %(max)d fields (%(n)d given).")
        raise ValidationError({key: problem % {"max": MAX_FIELDS, "n": len(specs)}})
    errors: dict[str, list[str]] = {}
    fields: list[Field] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(specs):
        field, field_errors = field_from_spec(schema, spec, position=index, prefix=f"{key}.{index}")
        errors.update(field_errors)
        fields.append(field)
        if isinstance(field.name, str) and field.name in seen and not field_errors:
            errors[f"{key}.{index}.name"] = [
                _("Duplicate field name “%(name)s” (also field %(other)d).")
                % {"name": field.name, "other": seen[field.name]}
            ]
        seen.setdefault(field.name, index)
    if not errors:
        if not any(f.primary_key for f in fields):
            errors[key] = [_("Mark at least one field as part of the primary key.")]
        if sum(f.is_version for f in fields) > 1:
            errors[key] = [_("A schema has at most one version field.")]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def schema_create(
    *,
    actor,
    name: str,
    label: str = "",
    description: str = "",
    fields: list[dict],
    kind: str = SchemaKind.MANAGED,
) -> Schema:
    """Create a managed schema and its table ``oc_data_<name>`` with the given fields and primary key."""
    require_modeller(actor, "add")
    if kind != SchemaKind.MANAGED:
        raise ValidationError({"kind": _("External schemas are registered from an existing table.")})
    schema = Schema(
        name=name,
        label=label or name,
        description=description,
        table_name=managed_table_name(name) if isinstance(name, str) else "",
        kind=SchemaKind.MANAGED,
        created_by=actor,
    )
    try:
        schema.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
        if "table_name" in errors and "name" not in errors:
            errors["name"] = errors.pop("table_name")
        raise ValidationError(errors) from None
    if schema.table_name in _existing_tables():
        raise ValidationError({"name": _("The database already has a table named “%s”.") % schema.table_name})
    field_objects = _validate_fields(schema, fields)
    schema.save()
    for field in field_objects:
        field.schema = schema
        field.save()
    physical.create_table(schema, field_objects)
    return schema


@transaction.atomic
def schema_update(*, actor, schema: Schema, data: dict) -> Schema:
    """Change a schema's name, label or description. The physical table keeps its name."""
    require_modeller(actor, "change")
    schema = Schema.objects.select_for_update().get(pk=schema.pk)
    unknown = sorted(set(data) - set(SCHEMA_EDITABLE))
    if unknown:
        raise ValidationError({k: _("This cannot be changed once the schema exists.") for k in unknown})
    changed = [k for k in SCHEMA_EDITABLE if k in data and getattr(schema, k) != data[k]]
    if "name" in changed:
        refuse_when_used(schema_users(schema), "name", _("The schema cannot be renamed; it is used by:"))
    for key in changed:
        setattr(schema, key, data[key])
    if changed:
        schema.full_clean()
        schema.save(update_fields=[*changed, "updated_at"])
    return schema


@transaction.atomic
def schema_delete(*, actor, schema: Schema) -> None:
    """Delete a schema; a managed schema's table is dropped. Refused while anything uses it."""
    require_modeller(actor, "delete")
    users = schema_users(schema)
    for field in schema.fields.all():
        users += field_users(field)
    refuse_when_used(users, "schema", _("The schema cannot be deleted; it is used by:"))
    if schema.is_managed:
        physical.drop_table(schema)
    schema.delete()


@transaction.atomic
def field_add(*, actor, schema: Schema, spec: dict) -> Field:
    """Add a field to a managed schema: ``ALTER TABLE ADD COLUMN`` (a nullable column, online)."""
    require_modeller(actor, "change")
    schema = Schema.objects.select_for_update().get(pk=schema.pk)
    if not schema.is_managed:
        raise ValidationError({"schema": _("The platform never alters an external table.")})
    if schema.fields.count() >= MAX_FIELDS:
        raise ValidationError({"schema": _("A schema has at most %(max)d fields.") % {"max": MAX_FIELDS}})
    position = (schema.fields.aggregate(m=Max("position"))["m"] or 0) + 1
    field, errors = field_from_spec(schema, spec, position=position, prefix="field")
    errors = {k.removeprefix("field."): v for k, v in errors.items()}
    if errors:
        raise ValidationError(errors)
    if field.primary_key:
        raise ValidationError({"primary_key": _("The primary key is fixed when the schema is created.")})
    if field.name in reachable_names(schema) or schema.fields.filter(column_name=field.column_name).exists():
        raise ValidationError({"name": _("“%s” is already a field or link of this schema.") % field.name})
    if field.is_version and schema.fields.filter(is_version=True).exists():
        raise ValidationError({"is_version": _("A schema has at most one version field.")})
    field.save()
    physical.add_column(schema, field)
    return field


@transaction.atomic
def field_update(*, actor, field: Field, data: dict) -> Field:
    """Rename or relabel a field, flag it personal or as the version. Renaming a used field is refused."""
    require_modeller(actor, "change")
    field = Field.objects.select_for_update().select_related("schema").get(pk=field.pk)
    errors = {
        k: [_("This cannot be changed once the field exists.")]
        for k in data
        if k not in FIELD_EDITABLE and getattr(field, k, object()) != data[k]
    }
    if errors:
        raise ValidationError(errors)
    changed = [k for k in FIELD_EDITABLE if k in data and getattr(field, k) != data[k]]
    if "name" in changed:
        refuse_when_used(field_users(field), "name", _("The field cannot be renamed; it is used by:"))
        if data["name"] in reachable_names(field.schema):
            raise ValidationError(
                {"name": _("“%s” is already a field or link of this schema.") % data["name"]}
            )
    if data.get("is_version") and field.schema.fields.filter(is_version=True).exclude(pk=field.pk).exists():
        raise ValidationError({"is_version": _("A schema has at most one version field.")})
    for key in changed:
        setattr(field, key, data[key])
    if changed:
        field.full_clean(exclude=["schema"])
        field.save(update_fields=changed)
    return field


@transaction.atomic
def field_remove(*, actor, field: Field) -> None:
    """Remove a field (and drop its column on a managed schema). Refused while anything uses it."""
    require_modeller(actor, "change")
    field = Field.objects.select_for_update().select_related("schema").get(pk=field.pk)
    if field.primary_key:
        raise ValidationError({"field": _("A primary-key field cannot be removed.")})
    refuse_when_used(field_users(field), "field", _("The field cannot be removed; it is used by:"))
    schema = field.schema
    if schema.is_managed:
        for index in list(schema.indexes.all()):
            if field.column_name in index.columns:
                physical.drop_index(index)
                index.delete()
        physical.drop_column(schema, field)
    field.delete()


def _find_index(schema: Schema, columns: list[str], unique: bool) -> SchemaIndex | None:
    for index in schema.indexes.all():
        if index.columns == columns and (index.unique or not unique):
            return index
    return None


@transaction.atomic
def index_add(*, actor, schema: Schema, fields: list[str], unique: bool = False) -> SchemaIndex:
    """Add an index on a managed schema's fields (``CREATE INDEX``). An identical index is reused."""
    require_modeller(actor, "change")
    if not schema.is_managed:
        raise ValidationError({"schema": _("The platform never alters an external table.")})
    by_name = {f.name: f for f in schema.fields.all()}
    if not isinstance(fields, list) or not fields:
        raise ValidationError({"fields": _("Name at least one field.")})
    missing = [n for n in fields if n not in by_name]
    if missing:
        raise ValidationError({"fields": _("Unknown fields: %s") % ", ".join(map(str, missing))})
    if len(set(fields)) != len(fields):
        raise ValidationError({"fields": _("A field appears twice.")})
    return index_ensure(schema=schema, columns=[by_name[n].column_name for n in fields], unique=unique)


def index_ensure(*, schema: Schema, columns: list[str], unique: bool = False) -> SchemaIndex:
    """The index on ``columns``, created when missing (called inside a catalog write's transaction)."""
    existing = _find_index(schema, columns, unique)
    if existing is not None:
        return existing
    index = SchemaIndex(
        schema=schema, name=physical.index_name(schema, columns, unique), columns=columns, unique=unique
    )
    index.full_clean()
    index.save()
    try:
        with transaction.atomic():
            physical.create_index(index)
    except DatabaseError as exc:
        raise ValidationError({"fields": _("The index could not be created: %s") % exc}) from exc
    return index


def schema_key_columns(schema: Schema) -> list[str]:
    return [f.column_name for f in schema.fields.all() if f.primary_key]


def index_exists_for(schema: Schema, columns: list[str], *, unique: bool) -> bool:
    """Whether a primary key or an index already serves ``columns`` (as a prefix, or exactly if unique)."""
    key = schema_key_columns(schema)
    if unique:
        return sorted(key) == sorted(columns) or any(
            i.unique and sorted(i.columns) == sorted(columns) for i in schema.indexes.all()
        )
    return key[: len(columns)] == columns or any(
        i.columns[: len(columns)] == columns for i in schema.indexes.all()
    )


__all__ = [
    "field_add",
    "field_remove",
    "field_update",
    "index_add",
    "index_ensure",
    "index_exists_for",
    "prefixed",
    "schema_create",
    "schema_delete",
    "schema_update",
]
