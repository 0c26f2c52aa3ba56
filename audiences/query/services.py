"""Rule services: validate, select, count, preview, SQL code view, distribution, and audience members.

This is the contract other code calls (the campaign engine builds its working tables from
``rule_select``). Rules arrive as JSON and are parsed and compiled here; errors come back as Django
``ValidationError`` keyed ``rule.<node path>`` so the API and the admin show where the problem is.
"""

from __future__ import annotations

import re
import time
import uuid

import sqlalchemy as sa
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from accounts.permissions import can, can_preview_personal_data
from audiences.catalog import database
from audiences.catalog.models import Schema, TargetingDimension
from audiences.query.compiler import CatalogSnapshot, CompiledRule, compile_rule
from audiences.query.compiler.catalog import value_type
from audiences.query.compiler.counts import count_select
from audiences.query.planner import PlannerOptions
from audiences.query.rules import RuleError, RuleSyntaxError, parse_rule
from audiences.query.types import python_value

CANCEL_KEY = "oc:rule-count:{token}"
# At most 63 bytes (NAMEDATALEN): 9 + 32 + 1 + the user id.
APPLICATION_NAME = "oc-count:{token}:{user}"


class RuleCountTooSlow(Exception):
    """An interactive count ran past OC_RULE_COUNT_TIMEOUT_MS (mapped to 503 by the API)."""


class RuleCountCancelled(Exception):
    """An interactive count was cancelled by its user (mapped to 409 by the API)."""


def _schema(dimension) -> Schema:
    if isinstance(dimension, TargetingDimension):
        return dimension.schema
    if isinstance(dimension, Schema):
        return dimension
    raise TypeError("dimension must be a TargetingDimension or a Schema")


def _error_dict(errors: list[RuleError]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in errors:
        out.setdefault(f"rule.{error.path}" if error.path else "rule", []).append(error.message)
    return out


def rule_compile(
    *,
    dimension,
    rule: dict | None,
    variables: dict | None = None,
    options: PlannerOptions | None = None,
    catalog: CatalogSnapshot | None = None,
    strict: bool = True,
    actor=None,
    pinned=None,
    guard_personal: bool = False,
) -> CompiledRule:
    """Parse and compile ``rule`` over the dimension's rows; ``ValidationError`` (strict) on any error.

    ``guard_personal`` limits conditions on personal fields (``compiler/personal.py``)."""
    schema = _schema(dimension)
    try:
        node = None if rule is None else parse_rule(rule)
    except RuleSyntaxError as error:
        if strict:
            raise ValidationError(_error_dict(error.errors)) from None
        return CompiledRule(sa.false(), None, None, [], error.errors, catalog)
    compiled = compile_rule(
        schema=schema,
        rule=node,
        dialect=connection.vendor,
        variables=variables,
        catalog=catalog,
        options=options,
        actor=actor,
        pinned=pinned,
        guard_personal=guard_personal,
    )
    if compiled.errors and strict:
        raise ValidationError(_error_dict(compiled.errors))
    return compiled


def guards_personal(actor) -> bool:
    """True when ``actor``'s rules are limited on personal fields (no personal-data preview permission)."""
    return not can_preview_personal_data(actor)


def rule_validate(
    *, dimension, rule: dict, variables: dict | None = None, actor=None, for_user: bool = False
) -> list[RuleError]:
    """Every error of ``rule`` (structure, names, types, operators, values), each with its node path.

    References resolve to what ``actor`` may view (shared objects only without an actor). ``for_user``:
    the rule is one ``actor`` counts or saves, so personal fields are limited without the permission."""
    return rule_compile(
        dimension=dimension,
        rule=rule,
        variables=variables,
        strict=False,
        actor=actor,
        guard_personal=for_user and actor is not None and guards_personal(actor),
    ).errors


def _columns(compiled: CompiledRule, columns: list[str] | None) -> list:
    keys = [f.name for f in compiled.info.primary_key]
    out = [compiled.base.c[name].label(name) for name in keys]
    unknown = [name for name in columns or [] if name not in compiled.info.fields]
    if unknown:
        raise ValidationError({"columns": _("Unknown fields: %s") % ", ".join(unknown)})
    out.extend(compiled.base.c[name].label(name) for name in columns or [] if name not in keys)
    return out


def rule_select(
    *,
    dimension,
    rule: dict | None,
    variables: dict | None = None,
    columns: list[str] | None = None,
    options: PlannerOptions | None = None,
    actor=None,
    pinned=None,
) -> sa.Select:
    """SELECT of the dimension's key columns (labelled by field name) and ``columns``, filtered by ``rule``.

    ``None`` selects everyone. Raises ``ValidationError`` keyed by node path for an invalid rule.
    With ``pinned`` (``PinnedDefinitions``), references expand frozen definitions, not stored rows.
    """
    compiled = rule_compile(
        dimension=dimension, rule=rule, variables=variables, options=options, actor=actor, pinned=pinned
    )
    return sa.select(*_columns(compiled, columns)).where(compiled.predicate)


def rule_count_select(
    *, dimension, rule, variables=None, options=None, actor=None, guard_personal: bool = False
) -> sa.Select:
    """``count(*)`` of the rule's rows (the statement ``rule_count`` runs, and the benchmark times)."""
    compiled = rule_compile(
        dimension=dimension,
        rule=rule,
        variables=variables,
        options=options,
        actor=actor,
        guard_personal=guard_personal,
    )
    return count_select(compiled, connection.vendor)


def _require_view(actor, dimension) -> None:
    target = dimension if isinstance(dimension, TargetingDimension) else _schema(dimension)
    if not can(actor, "view", target):
        raise PermissionDenied(_("You may not read this dimension."))


def rule_count(*, actor, dimension, rule, variables=None, token: str | None = None) -> int:
    """The exact number of rows the rule selects.

    On PostgreSQL it runs under ``SET LOCAL statement_timeout`` (OC_RULE_COUNT_TIMEOUT_MS) and, given a
    ``token``, publishes it so ``rule_count_cancel`` (another request) can stop it.
    """
    _require_view(actor, dimension)
    statement = rule_count_select(
        dimension=dimension,
        rule=rule,
        variables=variables,
        actor=actor,
        guard_personal=guards_personal(actor),
    )
    return int(_interactive(actor, statement, token)[0][0])


def interactive_settings() -> dict[str, str]:
    """PostgreSQL settings of interactive counts, previews and distributions (``SET LOCAL``).

    ``statement_timeout``: OC_RULE_COUNT_TIMEOUT_MS (30000). ``work_mem``: OC_RULE_WORK_MEM (64MB; empty
    keeps the server's): grouping and sorting a few hundred thousand keys (an aggregate over 90 days of
    purchases) fits in memory instead of spilling to disk batches at the default 4MB. It is per sort or
    hash node of one interactive statement, not a server-wide setting. The benchmark runs its
    hand-written baselines under the same settings.
    """
    values = {"statement_timeout": str(int(getattr(settings, "OC_RULE_COUNT_TIMEOUT_MS", 30000)))}
    work_mem = getattr(settings, "OC_RULE_WORK_MEM", "64MB")
    if work_mem:
        values["work_mem"] = str(work_mem)
    return values


def _application_name(token: str, actor) -> str:
    return APPLICATION_NAME.format(token=token, user=getattr(actor, "pk", None) or "")


def _interactive(actor, statement, token: str | None) -> list[tuple]:
    """Run ``statement`` under the interactive settings; a ``token`` makes it cancellable.

    The token is published as the session's ``application_name`` (seen at once in ``pg_stat_activity``
    by every other session) rather than written to a table: a row written here would stay invisible
    to the cancel request until this request's outer transaction commits, that is after the count.
    """
    postgres = connection.vendor == "postgresql"
    key = CANCEL_KEY.format(token=token) if token and postgres else None
    try:
        with transaction.atomic():
            if postgres:
                values = interactive_settings()
                with connection.cursor() as cursor:
                    if key:
                        cursor.execute("SELECT current_setting('application_name')")
                        previous = cursor.fetchone()[0]
                        values["application_name"] = _application_name(token, actor)
                    for name, value in values.items():
                        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
            rows = database.fetch_all(statement)
            if key:
                # SET LOCAL outlives this savepoint inside an outer transaction: unpublish now.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('application_name', %s, true)", [previous])
            return rows
    except DatabaseError as error:
        cause = getattr(error, "__cause__", None)
        if postgres and type(cause).__name__ == "QueryCanceled":
            state = cache.get(key) if key else None
            if state and state.get("cancelled"):
                raise RuleCountCancelled(_("The count was cancelled.")) from None
            raise RuleCountTooSlow(
                _("The count took too long (more than %(ms)s ms); narrow the rule or try again later.")
                % {"ms": getattr(settings, "OC_RULE_COUNT_TIMEOUT_MS", 30000)}
            ) from None
        raise
    finally:
        if key:
            cache.delete(key)


def rule_count_token() -> str:
    return uuid.uuid4().hex


def rule_count_cancel(*, actor, token: str) -> bool:
    """Cancel the running count started with ``token`` by ``actor``; False when nothing is running.

    Always False on SQLite, where counts are not cancellable. The cancelled flag goes to the cache
    (this request commits it before the count reads it) so the count answers "cancelled", not "too slow".
    """
    if connection.vendor != "postgresql" or not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name FROM pg_stat_activity"
            " WHERE application_name LIKE %s AND datname = current_database()",
            [APPLICATION_NAME.format(token=token, user="%")],
        )
        running = cursor.fetchall()
    if not running:
        return False
    pid, name = running[0]
    if name != _application_name(token, actor) and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only the user who started a count may cancel it."))
    key = CANCEL_KEY.format(token=token)
    cache.set(key, {"cancelled": True}, 60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_cancel_backend(%s)", [pid])
        cancelled = bool(cursor.fetchone()[0])
    if not cancelled:
        cache.delete(key)
    return cancelled


def _personal_check(actor, compiled: CompiledRule, names: list[str]) -> None:
    personal = [n for n in names if compiled.info.fields[n].is_personal]
    if personal and not can_preview_personal_data(actor):
        raise PermissionDenied(
            _("Your profile may not see personal data: %(fields)s.") % {"fields": ", ".join(personal)}
        )


def rule_preview(*, actor, dimension, rule, fields: list[str], limit: int, variables=None) -> list[dict]:
    """The first ``limit`` rows (by key) with the chosen fields; personal fields need the permission."""
    _require_view(actor, dimension)
    compiled = rule_compile(
        dimension=dimension,
        rule=rule,
        variables=variables,
        actor=actor,
        guard_personal=guards_personal(actor),
    )
    columns = _columns(compiled, fields)
    _personal_check(actor, compiled, [c.name for c in columns])
    limit = max(1, min(int(limit), int(getattr(settings, "OC_PREVIEW_ROWS_MAX", 100))))
    keys = [compiled.base.c[f.name] for f in compiled.info.primary_key]
    statement = sa.select(*columns).where(compiled.predicate).order_by(*keys).limit(limit)
    names = [c.name for c in columns]
    types = [value_type(compiled.info.fields[n]) for n in names]
    rows = _interactive(actor, statement, None)
    return [{n: python_value(v, t) for n, v, t in zip(names, row, types, strict=True)} for row in rows]


def rule_sql(*, dimension, rule, variables=None, actor=None) -> str:
    """The SQL of the rule's SELECT for the connection's database; values stay placeholders."""
    return rule_sql_params(dimension=dimension, rule=rule, variables=variables, actor=actor)["sql"]


def rule_sql_params(*, dimension, rule, variables=None, actor=None) -> dict:
    """The code view: SQL text, the bound parameters apart, and the planner's decisions."""
    compiled = rule_compile(dimension=dimension, rule=rule, variables=variables, actor=actor)
    statement = sa.select(*_columns(compiled, [])).where(compiled.predicate)
    sql, params = database.compile_statement(statement)
    return {
        "sql": sql,
        "params": [p if isinstance(p, bool | int | float | str | None) else str(p) for p in params],
        "plan": [{"path": d.path, "kind": d.kind, "plan": d.plan} for d in compiled.decisions],
    }


def rule_distribution(*, actor, dimension, rule, field: str, limit: int = 20, variables=None) -> dict:
    """The ``limit`` most frequent values of ``field`` under the rule, with counts and percentages."""
    _require_view(actor, dimension)
    compiled = rule_compile(
        dimension=dimension,
        rule=rule,
        variables=variables,
        actor=actor,
        guard_personal=guards_personal(actor),
    )
    if field not in compiled.info.fields:
        raise ValidationError({"field": _("Unknown field “%s”.") % field})
    _personal_check(actor, compiled, [field])
    limit = max(1, min(int(limit), 1000))
    column = compiled.base.c[field]
    grouped = (
        sa.select(column.label("value"), sa.func.count().label("n"))
        .where(compiled.predicate)
        .group_by(column)
        .subquery("d")
    )
    statement = (
        sa.select(
            grouped.c.value,
            grouped.c.n,
            sa.select(sa.func.sum(grouped.c.n)).scalar_subquery(),
            sa.select(sa.func.count()).select_from(grouped).scalar_subquery(),
        )
        .order_by(grouped.c.n.desc(), grouped.c.value)
        .limit(limit)
    )
    rows = _interactive(actor, statement, None)
    total = int(rows[0][2]) if rows else 0
    distinct = int(rows[0][3]) if rows else 0
    field_type = value_type(compiled.info.fields[field])
    values = [
        {"value": python_value(v, field_type), "count": int(n), "percent": round(100.0 * int(n) / total, 2)}
        for v, n, _t, _d in rows
    ]
    return {"values": values, "partial": distinct > len(values), "total": total}


def audience_members_select(audience, *, actor=None, pinned=None) -> sa.Select:
    """The audience's members as a SELECT of the dimension's key columns (labelled by field name).

    Static: the stored members. Rule-based: the rule, evaluated when the statement runs.
    """
    from audiences.saved.models import AudienceKind
    from audiences.saved.storage import members_table

    dimension = audience.dimension
    if audience.kind == AudienceKind.RULE:
        return rule_select(dimension=dimension, rule=audience.rule, actor=actor, pinned=pinned)
    keys = [f for f in dimension.schema.fields.all() if f.primary_key]
    keys.sort(key=lambda f: (f.position, f.pk))
    if audience.computed_at is None:
        raise ValidationError({"audience": _("This audience has no members yet.")})
    table = members_table(audience, keys)
    return sa.select(*(table.c[f.name].label(f.name) for f in keys))


def compile_time_ms(*, dimension, rule, variables=None, catalog=None) -> float:
    """How long compiling takes (the benchmark's figure), catalog loading included unless given."""
    started = time.perf_counter()
    statement = rule_count_select(dimension=dimension, rule=rule, variables=variables)
    database.compile_statement(statement)
    return (time.perf_counter() - started) * 1000
