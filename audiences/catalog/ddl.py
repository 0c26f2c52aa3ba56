"""DDL upload: pasted ``CREATE TABLE`` statements -> a proposal of schemas, fields, keys and links.

Parsing (sqlglot, PostgreSQL flavour) only proposes; nothing is created until the user confirms the
proposal (possibly edited), and ``ddl_import_confirm`` then goes through the ordinary catalog services
in one transaction. A foreign key becomes an N-1 link from the referencing table (``purchase.customer``)
whose reverse side is the 1-N (``customer.purchases``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial

import sqlglot
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from sqlglot import exp

from audiences.catalog.models import Schema
from audiences.catalog.names import MAX_SCHEMA_NAME_LENGTH, name_problem
from audiences.catalog.services import index_add, link_create, schema_create
from audiences.catalog.services.guards import prefixed, reachable_names, require_modeller
from audiences.catalog.types import FieldTypeKey

T = exp.DataType.Type
# sqlglot type -> our type; string types keep their length, decimals their precision and scale.
DDL_TYPES: dict[T, str] = {
    **dict.fromkeys((T.VARCHAR, T.CHAR, T.NVARCHAR, T.NCHAR, T.BPCHAR), FieldTypeKey.STRING),
    **dict.fromkeys((T.TEXT, T.MEDIUMTEXT, T.LONGTEXT, T.TINYTEXT), FieldTypeKey.TEXT),
    **dict.fromkeys(
        (T.INT, T.SMALLINT, T.TINYINT, T.MEDIUMINT, T.SERIAL, T.SMALLSERIAL), FieldTypeKey.INTEGER
    ),
    **dict.fromkeys((T.BIGINT, T.BIGSERIAL), FieldTypeKey.BIGINT),
    **dict.fromkeys((T.DECIMAL,), FieldTypeKey.DECIMAL),
    **dict.fromkeys((T.FLOAT, T.DOUBLE), FieldTypeKey.FLOAT),
    **dict.fromkeys((T.BOOLEAN,), FieldTypeKey.BOOLEAN),
    **dict.fromkeys((T.DATE,), FieldTypeKey.DATE),
    **dict.fromkeys((T.TIMESTAMP, T.TIMESTAMPTZ, T.TIMESTAMPLTZ, T.DATETIME), FieldTypeKey.DATETIME),
}
UNCONSTRAINED_DECIMAL = (38, 10)
# Column constraints the catalog does not model: accepted, with a warning that they are ignored.
IGNORED_CONSTRAINTS = (
    exp.DefaultColumnConstraint,
    exp.CheckColumnConstraint,
    exp.CollateColumnConstraint,
    exp.GeneratedAsIdentityColumnConstraint,
)


@dataclass
class ProposedField:
    name: str
    type: str
    label: str = ""
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    required: bool = False
    primary_key: bool = False


@dataclass
class ProposedSchema:
    name: str
    label: str
    fields: list[ProposedField] = field(default_factory=list)
    unique: list[list[str]] = field(default_factory=list)  # unique indexes, by field names


@dataclass
class ProposedLink:
    source: str
    target: str
    name: str
    reverse_name: str
    cardinality: str
    keys: list[list[str]]


@dataclass
class DdlProposal:
    """What the DDL would create; ``as_dict()`` is what the API returns and the confirm step takes."""

    schemas: list[ProposedSchema] = field(default_factory=list)
    links: list[ProposedLink] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class _Errors:
    def __init__(self):
        self.messages: list[str] = []

    def add(self, statement: int, table: str | None, column: str | None, message: str) -> None:
        where = _("Statement %(n)d") % {"n": statement}
        if table:
            where += _(" (table “%(table)s”)") % {"table": table}
        if column:
            where += _(", column “%(column)s”") % {"column": column}
        self.messages.append(f"{where}: {message}")


def _int_params(data_type: exp.DataType) -> list[int]:
    values = []
    for param in data_type.expressions:
        literal = param.this if isinstance(param, exp.DataTypeParam) else param
        values.append(
            int(literal.name) if isinstance(literal, exp.Literal) and literal.name.isdigit() else -1
        )
    return values


def _field_from_column(column: exp.ColumnDef, where, warn) -> tuple[ProposedField | None, list, bool]:
    """The proposed field, the references (target table, target columns) it declares, and UNIQUE."""
    name = column.name
    data_type = column.args.get("kind")
    type_key = DDL_TYPES.get(data_type.this) if isinstance(data_type, exp.DataType) else None
    if type_key is None:
        shown = data_type.sql(dialect="postgres") if data_type is not None else _("no type")
        where(_("the type %(type)s is not supported.") % {"type": shown})
        return None, [], False
    proposed = ProposedField(name=name.lower(), label=name, type=type_key)
    params = _int_params(data_type)
    if type_key == FieldTypeKey.STRING and params:
        proposed.max_length = params[0] if params[0] > 0 else None
    if type_key == FieldTypeKey.DECIMAL:
        if params:
            proposed.precision = params[0]
            proposed.scale = params[1] if len(params) > 1 else 0
        else:
            proposed.precision, proposed.scale = UNCONSTRAINED_DECIMAL
            warn(_("an unconstrained NUMERIC becomes decimal(%d, %d).") % UNCONSTRAINED_DECIMAL)
    references, unique = [], False
    for constraint in column.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint):
            proposed.required = not kind.args.get("allow_null")
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            proposed.primary_key = proposed.required = True
        elif isinstance(kind, exp.UniqueColumnConstraint):
            unique = True
        elif isinstance(kind, exp.Reference):
            references.append(kind)
        elif isinstance(kind, IGNORED_CONSTRAINTS):
            warn(_("%(what)s is ignored.") % {"what": kind.sql(dialect="postgres")})
        else:
            where(
                _("the constraint %(what)s is not supported.") % {"what": constraint.sql(dialect="postgres")}
            )
    return proposed, references, unique


def _reference_target(reference: exp.Reference) -> tuple[str, list[str]]:
    target = reference.this
    table = target.this if isinstance(target, exp.Schema) else target
    columns = [e.name.lower() for e in target.expressions] if isinstance(target, exp.Schema) else []
    return table.name.lower(), columns


def _identifiers(node) -> list[str]:
    return [e.name.lower() for e in node.expressions]


def _unique_name(wanted: str, taken: set[str]) -> str:
    name, counter = wanted, 2
    while name in taken or name_problem(name):
        name = f"{wanted}_{counter}"
        counter += 1
    taken.add(name)
    return name


def ddl_propose(ddl: str) -> DdlProposal:
    """Parse ``ddl`` into a proposal; ValidationError({"ddl": [...]}) names each statement and column."""
    errors = _Errors()
    proposal = DdlProposal()
    try:
        statements = [s for s in sqlglot.parse(ddl or "", read="postgres") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise ValidationError({"ddl": _("The DDL could not be parsed: %s") % exc}) from exc
    if not statements:
        raise ValidationError({"ddl": _("Paste at least one CREATE TABLE statement.")})
    foreign_keys: list[tuple[int, str, list[str], str, list[str]]] = []
    for number, statement in enumerate(statements, start=1):
        kind = str(statement.args.get("kind") or "").upper()
        if isinstance(statement, exp.Create) and kind == "INDEX":
            proposal.warnings.append(_("Statement %d: CREATE INDEX is ignored.") % number)
            continue
        if (
            not isinstance(statement, exp.Create)
            or kind != "TABLE"
            or not isinstance(statement.this, exp.Schema)
        ):
            errors.add(number, None, None, _("only CREATE TABLE statements with columns are supported."))
            continue
        _propose_table(number, statement.this, proposal, foreign_keys, errors)
    _propose_links(proposal, foreign_keys, errors)
    if errors.messages:
        raise ValidationError({"ddl": errors.messages})
    return proposal


def _propose_table(number: int, table_node: exp.Schema, proposal: DdlProposal, foreign_keys, errors) -> None:
    """Add one CREATE TABLE's schema to ``proposal``; collect its foreign keys for the links."""
    table = table_node.this.name
    schema_name = table.lower()
    problem = name_problem(schema_name, max_length=MAX_SCHEMA_NAME_LENGTH)
    if problem:
        errors.add(number, table, None, problem)
        return
    proposed = ProposedSchema(name=schema_name, label=table)
    key_columns: list[str] = []
    for element in table_node.expressions:
        # CONSTRAINT name <kind> wraps the kind.
        for item in element.expressions if isinstance(element, exp.Constraint) else [element]:
            if isinstance(item, exp.ColumnDef):
                where = partial(errors.add, number, table, item.name)
                warn = partial(_warn, proposal, f"{table}.{item.name}")
                column, references, unique = _field_from_column(item, where, warn)
                if column is None:
                    continue
                problem = name_problem(column.name)
                if problem:
                    errors.add(number, table, item.name, problem)
                    continue
                proposed.fields.append(column)
                if unique:
                    proposed.unique.append([column.name])
                for reference in references:
                    target, target_columns = _reference_target(reference)
                    foreign_keys.append((number, schema_name, [column.name], target, target_columns))
            elif isinstance(item, exp.PrimaryKey):
                key_columns = _identifiers(item)
            elif isinstance(item, exp.ForeignKey):
                target, target_columns = _reference_target(item.args["reference"])
                foreign_keys.append((number, schema_name, _identifiers(item), target, target_columns))
            elif isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema):
                proposed.unique.append(_identifiers(item.this))
            elif isinstance(item, exp.CheckColumnConstraint):
                proposal.warnings.append(_("%(table)s: CHECK constraints are ignored.") % {"table": table})
            else:
                errors.add(
                    number, table, None, _("%(what)s is not supported.") % {"what": item.sql("postgres")}
                )
    by_name = {f.name: f for f in proposed.fields}
    for column_name in key_columns:
        if column_name not in by_name:
            errors.add(number, table, column_name, _("the primary key names an unknown column."))
        else:
            by_name[column_name].primary_key = by_name[column_name].required = True
    if proposed.fields and not any(f.primary_key for f in proposed.fields):
        errors.add(number, table, None, _("a primary key is required."))
    proposal.schemas.append(proposed)


def _warn(proposal: DdlProposal, where: str, message: str) -> None:
    proposal.warnings.append(f"{where}: {message}")


def _propose_links(proposal: DdlProposal, foreign_keys, errors: _Errors) -> None:
    schemas = {s.name: s for s in proposal.schemas}
    names_on: dict[str, set[str]] = {s.name: {f.name for f in s.fields} for s in proposal.schemas}
    for number, source, columns, target, target_columns in foreign_keys:
        if target in schemas:
            target_fields = schemas[target].fields
        else:
            existing = Schema.objects.filter(name=target).first()
            if existing is None:
                errors.add(
                    number, source, ", ".join(columns), _("references an unknown table “%s”.") % target
                )
                continue
            target_fields = list(existing.fields.all())
            names_on.setdefault(target, reachable_names(existing))
        if not target_columns:
            target_columns = [f.name for f in target_fields if f.primary_key]
        if len(target_columns) != len(columns):
            errors.add(
                number, source, ", ".join(columns), _("the foreign key and its reference differ in length.")
            )
            continue
        base = columns[0].removesuffix("_id") if len(columns) == 1 and columns[0].endswith("_id") else target
        proposal.links.append(
            ProposedLink(
                source=source,
                target=target,
                name=_unique_name(base, names_on[source]),
                reverse_name=_unique_name(
                    source if source != target else f"{source}_children", names_on[target]
                ),
                cardinality="many_to_one",
                keys=[[left, right] for left, right in zip(columns, target_columns, strict=True)],
            )
        )


def _get(data, key, kind):
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        raise ValidationError({key: _("Expected a %s.") % kind.__name__})
    return value


@transaction.atomic
def ddl_import_confirm(*, actor, proposal: dict) -> list[Schema]:
    """Create the proposal's schemas, unique indexes and links, all or nothing."""
    require_modeller(actor, "add")
    schemas_data = _get(proposal, "schemas", list)
    links_data = proposal.get("links") or [] if isinstance(proposal, dict) else []
    created: dict[str, Schema] = {}
    for index, data in enumerate(schemas_data):
        try:
            schema = schema_create(
                actor=actor,
                name=_get(data, "name", str),
                label=data.get("label") or "",
                fields=_get(data, "fields", list),
            )
            for unique in data.get("unique") or []:
                index_add(actor=actor, schema=schema, fields=list(unique), unique=True)
        except ValidationError as exc:
            raise ValidationError(prefixed(exc, f"schemas.{index}")) from None
        created[schema.name] = schema
    for index, data in enumerate(links_data):
        try:
            source_name, target_name = _get(data, "source", str), _get(data, "target", str)
            schemas = {
                name: created.get(name) or Schema.objects.filter(name=name).first()
                for name in (source_name, target_name)
            }
            missing = [name for name, schema in schemas.items() if schema is None]
            if missing:
                raise ValidationError({"target": _("Unknown schema “%s”.") % missing[0]})
            link_create(
                actor=actor,
                source=schemas[source_name],
                target=schemas[target_name],
                name=_get(data, "name", str),
                reverse_name=_get(data, "reverse_name", str),
                cardinality=_get(data, "cardinality", str),
                keys=_get(data, "keys", list),
            )
        except ValidationError as exc:
            raise ValidationError(prefixed(exc, f"links.{index}")) from None
    return list(created.values())
