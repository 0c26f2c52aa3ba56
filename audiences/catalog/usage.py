"""Extension point: who uses a field or a link. Renaming or removing one that is used is refused.

Later apps register a *usage finder* under a stable key, in their ``AppConfig.ready()``::

    from audiences.catalog.usage import field_usage_finders
    field_usage_finders.register("rules.saved_filter", saved_filters_using_field)

A finder takes the Field (or Link) and returns human-readable descriptions of what uses it, e.g.
``["Saved filter “VIP customers”"]``; an empty list means unused. The catalog's own finders (links on a
field's keys, targeting dimensions) are registered below.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from django.utils.translation import gettext as _

from audiences.catalog.models import Field, Link, LinkKey, TargetingDimension

UsageFinder = Callable[[object], list[str]]


class UsageFinderRegistry:
    """Finders by stable key; duplicate keys are refused so two apps cannot silently replace each other."""

    def __init__(self, what: str):
        self.what = what
        self._finders: dict[str, UsageFinder] = {}

    def register(self, key: str, finder: UsageFinder) -> UsageFinder:
        if key in self._finders:
            raise ValueError(f"A {self.what} usage finder {key!r} is already registered")
        self._finders[key] = finder
        return finder

    def unregister(self, key: str) -> None:
        self._finders.pop(key, None)

    def keys(self) -> list[str]:
        return list(self._finders)

    def users(self, obj) -> list[str]:
        """Every use of ``obj`` found by every registered finder, in registration order."""
        found: list[str] = []
        for finder in self._finders.values():
            found.extend(str(u) for u in finder(obj))
        return found


field_usage_finders = UsageFinderRegistry("field")
link_usage_finders = UsageFinderRegistry("link")


def field_users(field: Field) -> list[str]:
    return field_usage_finders.users(field)


def link_users(link: Link) -> list[str]:
    return link_usage_finders.users(link)


def _links_on_field(field: Field) -> list[str]:
    keys = LinkKey.objects.filter(Q(source_field=field) | Q(target_field=field)).select_related(
        "link__source"
    )
    seen: dict[int, str] = {}
    for key in keys:
        seen.setdefault(key.link_id, _("Link “%(link)s”") % {"link": key.link})
    return list(seen.values())


def _dimensions_on_field(field: Field) -> list[str]:
    condition = Q()
    for role in TargetingDimension.ROLE_FIELDS:
        condition |= Q(**{role: field})
    return [
        _("Targeting dimension “%(dimension)s”") % {"dimension": d}
        for d in TargetingDimension.objects.filter(condition).select_related("schema")
    ]


field_usage_finders.register("catalog.links", _links_on_field)
field_usage_finders.register("catalog.targeting_dimensions", _dimensions_on_field)

schema_usage_finders = UsageFinderRegistry("schema")
dimension_usage_finders = UsageFinderRegistry("targeting dimension")


def schema_users(schema) -> list[str]:
    return schema_usage_finders.users(schema)


def dimension_users(dimension: TargetingDimension) -> list[str]:
    return dimension_usage_finders.users(dimension)


def _links_on_schema(schema) -> list[str]:
    links = Link.objects.filter(Q(source=schema) | Q(target=schema)).select_related("source")
    return [_("Link “%(link)s”") % {"link": link} for link in links]


def _dimension_of_schema(schema) -> list[str]:
    return [
        _("Targeting dimension “%(dimension)s”") % {"dimension": d}
        for d in TargetingDimension.objects.filter(schema=schema).select_related("schema")
    ]


schema_usage_finders.register("catalog.links", _links_on_schema)
schema_usage_finders.register("catalog.targeting_dimensions", _dimension_of_schema)
