"""The words the canvas shows for configuration settings and their choices, translatable.

A ``Config`` dataclass names its settings in code (``activate_when_empty``); the activity schema API
(``campaigns/api/schema_views.py``) titles each setting with its label here, and each choice of a
``Literal`` with its label, in the request's language. Settings share names across types (every
``dimension`` is a Dimension), so one vocabulary serves every type; a name missing here falls back to
its words in English (the contract test lists every registered setting, so none goes unnoticed).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

FIELD_LABELS = {
    "activate_when_empty": _("Activate when empty"),
    "aggregates": _("Aggregates"),
    "audience": _("Audience"),
    "body": _("Body"),
    "branches": _("Branches"),
    "campaign": _("Campaign"),
    "category": _("Category"),
    "choose": _("Keep which row"),
    "choose_expression": _("Ordering expression"),
    "code": _("Code"),
    "column": _("Column"),
    "columns": _("Columns"),
    "complement": _("Complement"),
    "conditions": _("Conditions"),
    "configuration": _("Channel configuration"),
    "content": _("Content"),
    "count": _("Count"),
    "data": _("Data"),
    "date_field": _("Date field"),
    "default": _("Default"),
    "delimiter": _("Delimiter"),
    "dimension": _("Dimension"),
    "direction": _("Direction"),
    "expression": _("Expression"),
    "field": _("Field"),
    "fields": _("Fields"),
    "file": _("File"),
    "filter": _("Filter"),
    "function": _("Function"),
    "groups": _("Groups"),
    "header": _("Header row"),
    "html": _("HTML"),
    "join_columns": _("Join columns"),
    "keep": _("Keep"),
    "keep_unmatched": _("Keep unmatched lines"),
    "keys": _("Keys"),
    "kind": _("Kind"),
    "label": _("Label"),
    "limit": _("Limit"),
    "link": _("Link"),
    "message": _("Message"),
    "minutes": _("Minutes"),
    "mode": _("Mode"),
    "name": _("Name"),
    "on": _("On"),
    "on_reject": _("On a rejected line"),
    "operation": _("Operation"),
    "operator": _("Operator"),
    "order_by": _("Order by"),
    "output": _("Output"),
    "path": _("Path"),
    "personal": _("Personal data"),
    "prefix": _("Prefix"),
    "preheader": _("Preheader"),
    "primary": _("Primary input"),
    "related": _("Related rows"),
    "required": _("Required"),
    "retention_days": _("Retention (days)"),
    "rule": _("Rule"),
    "rule_set": _("Rule set"),
    "seed": _("Seed"),
    "send_without_confirmation": _("Send without confirmation"),
    "share": _("Share"),
    "signal": _("Signal"),
    "single_table": _("Single table"),
    "skip_empty": _("Skip empty"),
    "sort": _("Sort"),
    "subject": _("Subject"),
    "subsets": _("Subsets"),
    "text": _("Text"),
    "title": _("Title"),
    "track_clicks": _("Track clicks"),
    "track_opens": _("Track opens"),
    "type": _("Type"),
    "until": _("Until"),
    "users": _("Users"),
    "value": _("Value"),
    "values": _("Values"),
    "variable": _("Variable"),
    "variables": _("Variables"),
    "variants": _("Variants"),
}

# The choices of Literal settings, by value (a value means the same wherever it appears).
CHOICE_LABELS = {
    "string": _("text"),
    "integer": _("integer"),
    "bigint": _("big integer"),
    "float": _("decimal number"),
    "boolean": _("yes/no"),
    "date": _("date"),
    "datetime": _("date and time"),
    "count": _("count"),
    "sum": _("sum"),
    "avg": _("average"),
    "min": _("minimum"),
    "max": _("maximum"),
    "percent": _("percent"),
    "union": _("union"),
    "intersection": _("intersection"),
    "exclusion": _("exclusion"),
    "random": _("any one"),
    "highest": _("highest value"),
    "lowest": _("lowest value"),
    "non_empty": _("first non-empty"),
    "values": _("listed values"),
    "marketing": _("marketing"),
    "transactional": _("transactional"),
    "asc": _("ascending"),
    "desc": _("descending"),
    "processed_keys": _("rows not yet processed"),
    "date_field": _("a date field since the last run"),
    "first_match": _("first match"),
    "overlap": _("overlap"),
    "skip": _("skip"),
    "fail": _("fail"),
    "variable": _("variable"),
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
}


# where one setting name means something else in one configuration ("<Class>.<setting>")
OWNED_FIELD_LABELS = {
    "PushContent.link": _("Web address to open"),
}


def field_label(name: str, owner: str = "") -> str:
    label = OWNED_FIELD_LABELS.get(f"{owner}.{name}") or FIELD_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ").capitalize()


def choice_label(value) -> str:
    label = CHOICE_LABELS.get(value)
    return str(label) if label is not None else str(value)
