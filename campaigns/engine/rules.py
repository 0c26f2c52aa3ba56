"""The engine's one door to the rule compiler and to saved audiences (the audiences app's services).

While a task of a launched live run executes, ``pinned_definitions`` holds the approved version's
frozen saved filters and rule-based audiences: every rule compiled through this door then expands
those, never the rows as they are now (``campaigns/lifecycle/pins.py``, ADR 0003).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa

from audiences.query import services as query
from audiences.query.compiler.references import PinnedDefinitions, visible
from audiences.saved import services as saved
from audiences.saved.models import Audience, AudienceKind

_PINNED: ContextVar[PinnedDefinitions | None] = ContextVar("oc_pinned_definitions", default=None)


@contextmanager
def pinned_definitions(pinned: PinnedDefinitions | None):
    """Compile every rule inside this block from ``pinned`` (None: from the stored rows)."""
    token = _PINNED.set(pinned)
    try:
        yield
    finally:
        _PINNED.reset(token)


def rule_errors(*, dimension, rule: dict, actor=None) -> list[tuple[str, str]]:
    """The rule's errors; saved filters and audiences it references resolve as ``actor`` may view them.

    ``actor`` is who saves the graph, or the campaign's owner when a run starts: without the
    personal-data preview permission, conditions on personal fields are limited as in the rule
    builder (ADR 0004), so a campaign's test-run counts are no way around that limit."""
    return [
        (f"rule.{e.path}" if e.path else "rule", str(e.message))
        for e in query.rule_validate(dimension=dimension, rule=rule, actor=actor, for_user=True)
    ]


def rule_select(
    *, dimension, rule: dict | None, variables: dict | None = None, columns=None, actor=None
) -> sa.Select:
    """The dimension's key columns (labelled by field name) of the rows ``rule`` keeps (all for None)."""
    return query.rule_select(
        dimension=dimension,
        rule=rule or None,
        variables=variables,
        columns=columns,
        actor=actor,
        pinned=_PINNED.get(),
    )


def _by_name(name: str):
    return Audience.objects.select_related("dimension__schema").filter(name=name)


def audience_get(name: str, *, actor) -> Audience | None:
    """The audience ``name`` if ``actor`` may view it (shared ones only without an actor).

    An audience the actor may not see is None, as a missing one is: names reveal nothing. In a live
    run a pinned audience is the approved version's copy: a rule-based one keeps its frozen rule (an
    unsaved instance), a static one is the row as it is now (members are read at launch).
    """
    pinned = _PINNED.get()
    if pinned is not None:
        return _pinned_audience(pinned, name, actor=actor)
    return visible(actor, _by_name(name)).first()


def _pinned_audience(pinned: PinnedDefinitions, name: str, *, actor) -> Audience | None:
    found = [(pk, d) for pk, d in pinned.audiences.items() if d.get("name") == name]
    if not found:
        return None
    pk, definition = found[0]
    if definition["kind"] == AudienceKind.RULE:
        return Audience(
            pk=pk,
            name=name,
            kind=AudienceKind.RULE,
            rule=definition["rule"],
            dimension_id=definition["dimension"],
        )
    audience = visible(actor, Audience.objects.select_related("dimension__schema").filter(pk=pk)).first()
    if audience is None or audience.kind != AudienceKind.STATIC:
        return None
    return audience


def audience_members_select(audience: Audience, *, actor=None) -> sa.Select:
    return query.audience_members_select(audience, actor=actor, pinned=_PINNED.get())


def audience_save(*, actor, name: str, dimension, select: sa.Select) -> Audience:
    """Replace the members of the static audience ``name`` (created on first use) with ``select``'s keys.

    On first use the audience is created straight from ``select`` (one materialisation, nothing
    computed over the whole dimension)."""
    audience = _by_name(name).first()  # a write: audience_replace_members checks "change"
    if audience is None:
        return saved.audience_create_static(actor=actor, name=name, dimension=dimension, members=select)
    saved.audience_replace_members(audience=audience, select=select, actor=actor)
    return audience
