"""The engine's one door to the rule compiler and to saved audiences (the audiences app's services)."""

from __future__ import annotations

import sqlalchemy as sa

from audiences.query import services as query
from audiences.saved import services as saved
from audiences.saved.models import Audience


def rule_errors(*, dimension, rule: dict) -> list[tuple[str, str]]:
    return [
        (f"rule.{e.path}" if e.path else "rule", str(e.message))
        for e in query.rule_validate(dimension=dimension, rule=rule)
    ]


def rule_select(*, dimension, rule: dict | None, variables: dict | None = None, columns=None) -> sa.Select:
    """The dimension's key columns (labelled by field name) of the rows ``rule`` keeps (all for None)."""
    return query.rule_select(dimension=dimension, rule=rule or None, variables=variables, columns=columns)


def audience_get(name: str) -> Audience | None:
    return Audience.objects.select_related("dimension__schema").filter(name=name).first()


def audience_members_select(audience: Audience) -> sa.Select:
    return query.audience_members_select(audience)


def audience_save(*, actor, name: str, dimension, select: sa.Select) -> Audience:
    """Replace the members of the static audience ``name`` (created on first use) with ``select``'s keys.

    On first use the audience is created straight from ``select`` (one materialisation, nothing
    computed over the whole dimension)."""
    audience = audience_get(name)
    if audience is None:
        return saved.audience_create_static(actor=actor, name=name, dimension=dimension, members=select)
    saved.audience_replace_members(audience=audience, select=select, actor=actor)
    return audience
