"""The engine's one door to the rule compiler and to saved audiences (the audiences app's services)."""

from __future__ import annotations

import sqlalchemy as sa

from audiences.query import services as query
from audiences.query.compiler.references import visible
from audiences.saved import services as saved
from audiences.saved.models import Audience


def rule_errors(*, dimension, rule: dict, actor=None) -> list[tuple[str, str]]:
    """The rule's errors; saved filters and audiences it references resolve as ``actor`` may view them."""
    return [
        (f"rule.{e.path}" if e.path else "rule", str(e.message))
        for e in query.rule_validate(dimension=dimension, rule=rule, actor=actor)
    ]


def rule_select(
    *, dimension, rule: dict | None, variables: dict | None = None, columns=None, actor=None
) -> sa.Select:
    """The dimension's key columns (labelled by field name) of the rows ``rule`` keeps (all for None)."""
    return query.rule_select(
        dimension=dimension, rule=rule or None, variables=variables, columns=columns, actor=actor
    )


def _by_name(name: str):
    return Audience.objects.select_related("dimension__schema").filter(name=name)


def audience_get(name: str, *, actor) -> Audience | None:
    """The audience ``name`` if ``actor`` may view it (shared ones only without an actor).

    An audience the actor may not see is None, as a missing one is: names reveal nothing.
    """
    return visible(actor, _by_name(name)).first()


def audience_members_select(audience: Audience, *, actor=None) -> sa.Select:
    return query.audience_members_select(audience, actor=actor)


def audience_save(*, actor, name: str, dimension, select: sa.Select) -> Audience:
    """Replace the members of the static audience ``name`` (created on first use) with ``select``'s keys.

    On first use the audience is created straight from ``select`` (one materialisation, nothing
    computed over the whole dimension)."""
    audience = _by_name(name).first()  # a write: audience_replace_members checks "change"
    if audience is None:
        return saved.audience_create_static(actor=actor, name=name, dimension=dimension, members=select)
    saved.audience_replace_members(audience=audience, select=select, actor=actor)
    return audience
