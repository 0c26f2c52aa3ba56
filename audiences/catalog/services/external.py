"""Register an existing table or view of the project database as an external schema, by introspection.

The platform reads external schemas and never writes them. Column types are mapped through the type
registry (``audiences.catalog.types``); a column of another type is reported by name, or left out when
the caller asks to skip unsupported columns.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from audiences.catalog.models import Field, Schema, SchemaKind
from audiences.catalog.names import name_problem, validate_schema_name
from audiences.catalog.services.guards import require_modeller
from audiences.catalog.types import FieldTypeKey, type_for_declared, type_for_introspected

# Tables of the framework and of the platform itself: their rows (password hashes, API tokens, sessions,
# queued jobs, permission grants, the platform's own state) must never become targetable data. The
# retargeting views (oc_rt_*) are the one platform relation meant to be read as an external schema.
FRAMEWORK_PREFIXES = ("auth_", "authtoken_", "django_", "guardian_", "oc_")
ALLOWED_PLATFORM_PREFIXES = ("oc_rt_",)


def _is_framework_table(table_name: str) -> bool:
    """Whether ``table_name`` is a framework or platform table (any installed model's, or by prefix)."""
    from django.apps import apps

    bare = table_name.rsplit(".", 1)[-1].strip('"').lower()
    if bare.startswith(ALLOWED_PLATFORM_PREFIXES):
        return False
    if bare.startswith(FRAMEWORK_PREFIXES):
        return True
    return any(m._meta.db_table.lower() == bare for m in apps.get_models(include_auto_created=True))


def _describe(table_name: str):
    with connection.cursor() as cursor:
        tables = {t.name: t for t in connection.introspection.get_table_list(cursor)}
        if table_name not in tables:
            raise ValidationError({"table_name": _("The database has no table or view “%s”.") % table_name})
        description = connection.introspection.get_table_description(cursor, table_name)
        constraints = connection.introspection.get_constraints(cursor, table_name)
    primary_key = next((c["columns"] for c in constraints.values() if c.get("primary_key")), [])
    return description, primary_key


def _column_type(column) -> str:
    # The reverse map itself: get_field_type() would turn an integer primary key into an AutoField.
    try:
        django_class = connection.introspection.data_types_reverse[column.type_code]
    except KeyError:
        django_class = ""
    found = type_for_introspected(django_class)
    if found is None and isinstance(column.type_code, str):
        found = type_for_declared(column.type_code)
    return found or ""


def _precision_scale(column) -> tuple[int | None, int | None]:
    """PostgreSQL reports them; SQLite keeps only the declared type text, e.g. ``numeric(6, 2)``."""
    if column.precision:
        return column.precision, column.scale
    match = re.search(
        r"\((\d+)\s*(?:,\s*(\d+))?\)", column.type_code if isinstance(column.type_code, str) else ""
    )
    if match:
        return int(match.group(1)), int(match.group(2) or 0)
    return None, None


@transaction.atomic
def external_schema_register(
    *,
    actor,
    table_name: str,
    name: str | None = None,
    label: str = "",
    description: str = "",
    primary_key: list[str] | None = None,
    skip_unsupported: bool = False,
) -> Schema:
    """Create an external Schema for ``table_name`` with one field per supported column."""
    require_modeller(actor, "add")
    if _is_framework_table(str(table_name)):
        raise ValidationError(
            {
                "table_name": _("“%s” is a table of the platform or its framework; it cannot be registered.")
                % table_name
            }
        )
    if Schema.objects.filter(table_name=table_name).exists():
        raise ValidationError({"table_name": _("This table is already registered.")})
    columns, introspected_key = _describe(table_name)
    name = name or table_name.lower()
    try:
        validate_schema_name(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    key_columns = list(primary_key) if primary_key is not None else introspected_key
    errors: dict[str, list[str]] = {}
    fields: list[Field] = []
    for position, column in enumerate(columns):
        type_key = _column_type(column)
        if not type_key:
            if not skip_unsupported:
                errors.setdefault("columns", []).append(
                    _("Column “%(column)s”: its database type is not supported.") % {"column": column.name}
                )
            continue
        field_name = column.name.lower()
        problem = name_problem(field_name)
        if problem:
            errors.setdefault("columns", []).append(
                _("Column “%(column)s”: %(problem)s") % {"column": column.name, "problem": problem}
            )
            continue
        is_key = column.name in key_columns
        precision, scale = _precision_scale(column)
        string_length = column.internal_size or column.display_size
        fields.append(
            Field(
                name=field_name,
                column_name=column.name,
                label=field_name,
                type=type_key,
                max_length=string_length
                if type_key == FieldTypeKey.STRING and string_length and string_length > 0
                else None,
                precision=precision if type_key == FieldTypeKey.DECIMAL else None,
                scale=scale if type_key == FieldTypeKey.DECIMAL else None,
                required=is_key or not column.null_ok,
                primary_key=is_key,
                position=position,
            )
        )
    unknown_keys = sorted(set(key_columns) - {f.column_name for f in fields})
    if unknown_keys:
        errors["primary_key"] = [_("Unknown or unsupported columns: %s") % ", ".join(unknown_keys)]
    if errors:
        raise ValidationError(errors)
    schema = Schema(
        name=name,
        label=label or name,
        description=description,
        table_name=table_name,
        kind=SchemaKind.EXTERNAL,
        created_by=actor,
    )
    schema.full_clean()
    schema.save()
    for field in fields:
        field.schema = schema
        if field.type == FieldTypeKey.DECIMAL and not field.precision:
            field.type = FieldTypeKey.FLOAT  # an unconstrained NUMERIC has no precision to declare
            field.precision = field.scale = None
        field.full_clean()
        field.save()
    return schema
