"""The review page's words for a version's changes and counts: activity labels instead of keys,
setting labels instead of paths, and nested values (rules, content) as an indented outline rather
than a Python or JSON literal. Presentation only: the diff itself is ``versions.document_diff``."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.activities import registry
from campaigns.activities.labels import choice_label, field_label

MAX_TEXT = 160
MAX_OUTLINE_LINES = 60
SETTING_SEPARATOR = " \N{RIGHTWARDS ARROW} "


@dataclass
class ChangeRow:
    where: str
    setting: str
    before: str
    after: str
    before_outline: list[str] = field(default_factory=list)
    after_outline: list[str] = field(default_factory=list)


def _activities(*documents: dict | None) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for document in documents:
        for item in ((document or {}).get("graph") or {}).get("activities", []):
            found.setdefault(item["key"], item)
    return found


def activity_name(key: str, activities: dict[str, dict]) -> str:
    item = activities.get(key)
    if item is None:
        return key
    return item.get("label") or type_label(item.get("type", "")) or key


def type_label(type_key: str) -> str:
    activity_type = registry.get(type_key)
    return str(activity_type.label) if activity_type is not None else type_key


def _scalar(value) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    text = choice_label(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def outline(value, depth: int = 0) -> list[str]:
    """Nested dicts and lists as indented ``Label: value`` lines (at most ``MAX_OUTLINE_LINES``)."""
    lines: list[str] = []
    pad = "  " * depth
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{field_label(str(key))}:")
                lines.extend(outline(item, depth + 1))
            else:
                lines.append(f"{pad}{field_label(str(key))}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) and item:
                nested = outline(item, depth + 1)
                lines.append(f"{pad}- {nested[0].strip()}" if nested else f"{pad}-")
                lines.extend(nested[1:])
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    if len(lines) > MAX_OUTLINE_LINES:
        lines = [*lines[:MAX_OUTLINE_LINES], f"{pad}…"]
    return lines


def _value(value, activities: dict[str, dict], *, whole: str) -> tuple[str, list[str]]:
    """A one-line summary and, for nested values, the outline shown on demand."""
    if isinstance(value, dict | list) and value:
        if whole == "activity":
            label = activity_name(value["key"], activities)
            summary = _("%(type)s “%(label)s”") % {"type": type_label(value.get("type", "")), "label": label}
            return summary, outline(value.get("config") or {})
        if whole == "transition":
            return _("to “%(target)s”") % {"target": activity_name(value.get("target", ""), activities)}, []
        count = len(value)
        if isinstance(value, dict):
            summary = ngettext("%(n)d setting", "%(n)d settings", count) % {"n": count}
        else:
            summary = ngettext("%(n)d item", "%(n)d items", count) % {"n": count}
        return summary, outline(value)
    return _scalar(value), []


def _split(path: str, activities: dict[str, dict]) -> tuple[str, str, list[str]]:
    """``activity:build.config.rule`` -> ("activity", "build", ["config", "rule"])."""
    kind, _sep, rest = path.partition(":")
    if kind == "activity":
        for key in sorted(activities, key=len, reverse=True):
            if rest == key or rest.startswith(key + "."):
                return kind, key, [p for p in rest[len(key) :].split(".") if p]
        return kind, rest, []
    if kind == "transition":
        source, _dot, remainder = rest.partition(".")
        output, _dot, setting = remainder.partition(".")
        return kind, f"{source}.{output}", [p for p in setting.split(".") if p]
    head, *setting = path.split(".")
    return head, "", setting


def _schedule_kind(value):
    from campaigns.models import ScheduleKind

    return str(ScheduleKind(value).label) if value in ScheduleKind.values else value


def change_rows(changes: list[dict], old: dict | None, new: dict) -> list[ChangeRow]:
    activities = _activities(new, old)
    rows = []
    for change in changes:
        kind, key, setting = _split(change["path"], activities)
        whole = kind if not setting else ""
        if kind == "activity":
            where = _("Activity “%(label)s”") % {"label": activity_name(key, activities)}
        elif kind == "transition":
            source, output = key.split(".", 1)
            where = _("Transition from “%(label)s” (%(output)s)") % {
                "label": activity_name(source, activities),
                "output": choice_label(output),
            }
        elif kind == "schedule":
            where = _("Schedule")
            if setting == ["kind"]:
                change = {**change, **{k: _schedule_kind(change.get(k)) for k in ("old", "new")}}
        else:
            where = field_label(kind)
        before, before_outline = _value(change.get("old"), activities, whole=whole)
        after, after_outline = _value(change.get("new"), activities, whole=whole)
        if whole and change.get("old") is None:
            before = _("(added)")
        if whole and change.get("new") is None:
            after = _("(removed)")
        if before == after and before_outline == after_outline:
            continue  # None and an empty value read the same: not a change a reviewer should weigh
        rows.append(
            ChangeRow(
                where=where,
                setting=SETTING_SEPARATOR.join(field_label(part) for part in setting if part != "config"),
                before=before,
                after=after,
                before_outline=before_outline,
                after_outline=after_outline,
            )
        )
    return rows


@dataclass
class CountRow:
    source: str
    output: str
    target: str
    activated: bool
    rows: int | None


def count_rows(results, document: dict) -> list[CountRow]:
    activities = _activities(document)
    return [
        CountRow(
            source=activity_name(r.source_key, activities),
            output=choice_label(r.output),
            target=activity_name(r.target_key, activities),
            activated=r.activated,
            rows=r.row_count,
        )
        for r in results
    ]
