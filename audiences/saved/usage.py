"""Usage finders: a field or link named in a saved filter's or an audience's rule cannot be removed.

Registered from ``AudiencesConfig.ready()``. The check is by name over the (small) list of saved rules,
conservatively: a name used anywhere counts, whatever schema it was reached from.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from audiences.catalog.usage import field_usage_finders, link_usage_finders

EXPRESSION_NAMES = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*)/")


def rule_names(rule) -> tuple[set[str], set[str]]:
    """(field names, link names) a rule JSON mentions."""
    fields: set[str] = set()
    links: set[str] = set()
    stack = [rule]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        path = node.get("field")
        if isinstance(path, str):
            *via, name = path.split(".")
            fields.add(name)
            links.update(via)
        if isinstance(node.get("link"), str):
            links.update(node["link"].split("."))
        for key in ("left", "expression"):
            if isinstance(node.get(key), str):
                for field_name, link_name in EXPRESSION_NAMES.findall(node[key]):
                    (fields if field_name else links).add(field_name or link_name)
        stack.extend(v for k, v in node.items() if k in ("children", "where"))
    return fields, links


def _users(what: str, name_of) -> list[str]:
    from audiences.saved.models import Audience, SavedFilter

    found = []
    for model, label in ((SavedFilter, _("Saved filter")), (Audience, _("Audience"))):
        for obj in model.objects.exclude(rule=None).only("id", "name", "rule"):
            fields, links = rule_names(obj.rule)
            if name_of(fields, links):
                found.append(_("%(kind)s “%(name)s”") % {"kind": label, "name": obj.name})
    return found


def saved_rules_using_field(field) -> list[str]:
    return _users("field", lambda fields, links: field.name in fields)


def saved_rules_using_link(link) -> list[str]:
    return _users("link", lambda fields, links: bool({link.name, link.reverse_name} & links))


def register() -> None:
    if "audiences.saved_rules" not in field_usage_finders.keys():  # noqa: SIM118 - no __contains__
        field_usage_finders.register("audiences.saved_rules", saved_rules_using_field)
        link_usage_finders.register("audiences.saved_rules", saved_rules_using_link)
