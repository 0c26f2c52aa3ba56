"""Validating a campaign graph as a whole: structure, configurations, inputs, dimensions, acyclicity.

Works on the graph *document* (plain dicts, as the API and the admin receive it), so a graph is
checked before anything is written. Every error names the activity it belongs to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from campaigns.activities import registry
from campaigns.activities.base import FILE, GraphNode
from campaigns.activities.config import ConfigError
from campaigns.models.graph import KEY_VALIDATOR

MAX_ACTIVITIES = getattr(settings, "OC_CAMPAIGN_MAX_ACTIVITIES", 500)
MAX_CHANNEL_ACTIVITIES = getattr(settings, "OC_CAMPAIGN_MAX_CHANNEL_ACTIVITIES", 10)


@dataclass(frozen=True)
class GraphError:
    activity: str | None
    field: str
    message: str

    @property
    def path(self) -> str:
        parts = ["activities", self.activity] if self.activity else ["graph"]
        return ".".join([*parts, *([self.field] if self.field else [])])


@dataclass
class ParsedGraph:
    """A valid graph: configs parsed, activities in topological order, dimensions resolved."""

    activities: dict[str, dict]
    configs: dict[str, object]
    order: list[str]
    inbound: dict[str, list[dict]]
    outbound: dict[str, list[dict]]
    dimensions: dict[str, str | None]


def graph_check(document: dict, *, reader=None) -> tuple[ParsedGraph | None, list[GraphError]]:
    """Every problem of ``document``; saved audiences and filters resolve as ``reader`` may view them."""
    errors: list[GraphError] = []
    activities = document.get("activities") or []
    transitions = document.get("transitions") or []
    if len(activities) > MAX_ACTIVITIES:  # refused before any activity is parsed or checked
        return None, [GraphError(None, "activities", _("At most %(n)s activities.") % {"n": MAX_ACTIVITIES})]
    by_key: dict[str, dict] = {}
    configs: dict[str, object] = {}
    channels = 0
    for item in activities:
        key = item.get("key")
        if not isinstance(key, str) or KEY_VALIDATOR.regex.match(key) is None:
            errors.append(GraphError(None, "activities", _("Invalid activity key %(key)r.") % {"key": key}))
            continue
        if key in by_key:
            errors.append(GraphError(key, "key", _("Two activities have this key.")))
            continue
        by_key[key] = item
        type_key = item.get("type") or ""
        if str(type_key).startswith("channel."):
            channels += 1
        if registry.is_channel_placeholder(type_key):
            configs[key] = item.get("config") or {}
            continue
        activity_type = registry.get(type_key)
        if activity_type is None:
            errors.append(GraphError(key, "type", _("Unknown activity type %(type)s.") % {"type": type_key}))
            continue
        try:
            configs[key] = activity_type.parse(item.get("config") or {})
        except ConfigError as exc:
            errors.append(GraphError(key, f"config.{exc.path}" if exc.path else "config", exc.message))
    if channels > MAX_CHANNEL_ACTIVITIES:
        errors.append(
            GraphError(
                None, "activities", _("At most %(n)s channel activities.") % {"n": MAX_CHANNEL_ACTIVITIES}
            )
        )

    inbound: dict[str, list[dict]] = defaultdict(list)
    outbound: dict[str, list[dict]] = defaultdict(list)
    seen_outputs = set()
    for t in transitions:
        source, target, output = t.get("source"), t.get("target"), t.get("output") or "out"
        if source not in by_key or target not in by_key:
            errors.append(
                GraphError(
                    source if source in by_key else None,
                    "transitions",
                    _("A transition joins an unknown activity (%(s)s -> %(t)s).")
                    % {"s": source, "t": target},
                )
            )
            continue
        if source == target:
            errors.append(GraphError(source, "transitions", _("An activity cannot feed itself.")))
            continue
        if (source, output) in seen_outputs:
            errors.append(
                GraphError(source, "transitions", _("Output %(o)s has two transitions.") % {"o": output})
            )
            continue
        seen_outputs.add((source, output))
        if source in configs:
            allowed = _outputs(by_key[source]["type"], configs[source])
            if output not in allowed:
                errors.append(
                    GraphError(
                        source,
                        "transitions",
                        _("No output %(o)s (outputs: %(all)s).")
                        % {"o": output, "all": ", ".join(allowed) or "-"},
                    )
                )
                continue
        edge = {**t, "output": output}
        inbound[target].append(edge)
        outbound[source].append(edge)

    order = _topological(by_key, outbound)
    if order is None:
        cyclic = sorted(set(by_key) - set(_topological(by_key, outbound, partial=True)))
        errors.append(
            GraphError(
                cyclic[0] if cyclic else None,
                "transitions",
                _("The graph has a cycle through %(keys)s.") % {"keys": ", ".join(cyclic)},
            )
        )
        return None, errors

    dimensions: dict[str, str | None] = {}
    for key in order:
        item = by_key[key]
        inputs = inbound.get(key, [])
        node = GraphNode(
            key,
            item.get("type"),
            [e["source"] for e in inputs],
            [dimensions.get(e["source"]) for e in inputs],
            [e["output"] for e in outbound.get(key, [])],
            reader=reader,
        )
        activity_type = registry.get(item.get("type") or "")
        if key not in configs:
            dimensions[key] = None
            continue
        if activity_type is None:  # a channel placeholder
            if not inputs or any(d in (None, FILE) for d in node.input_dimensions):
                errors.append(GraphError(key, "", _("A channel activity needs an audience upstream.")))
            dimensions[key] = node.input_dimensions[0] if inputs else None
            continue
        n = len(inputs)
        if n < activity_type.min_inputs or (
            activity_type.max_inputs is not None and n > activity_type.max_inputs
        ):
            errors.append(GraphError(key, "", _inputs_message(activity_type, n)))
        if activity_type.needs_audience and any(d in (None, FILE) for d in node.input_dimensions):
            errors.append(GraphError(key, "", _("This activity needs an audience upstream.")))
        for field, message in activity_type.validate(configs[key], node):
            errors.append(GraphError(key, f"config.{field}" if field else "config", str(message)))
        dimensions[key] = activity_type.output_dimension(configs[key], node)
    parsed = ParsedGraph(by_key, configs, order, dict(inbound), dict(outbound), dimensions)
    return (parsed if not errors else None), errors


def _outputs(type_key: str, config) -> list[str]:
    activity_type = registry.get(type_key)
    return activity_type.outputs(config) if activity_type else ["out"]


def _inputs_message(activity_type, n: int) -> str:
    low, high = activity_type.min_inputs, activity_type.max_inputs
    if high == 0:
        return _("This activity takes no inbound transition.")
    if high is None:
        return _("This activity needs at least %(n)s inbound transitions.") % {"n": low}
    if low == high:
        return _("This activity needs exactly %(n)s inbound transition.") % {"n": low}
    return _("This activity takes at most %(n)s inbound transition.") % {"n": high}


def _topological(by_key, outbound, partial: bool = False):
    indegree = {k: 0 for k in by_key}
    for edges in outbound.values():
        for e in edges:
            indegree[e["target"]] += 1
    ready = sorted(k for k, d in indegree.items() if d == 0)
    order = []
    while ready:
        key = ready.pop(0)
        order.append(key)
        for e in outbound.get(key, []):
            indegree[e["target"]] -= 1
            if indegree[e["target"]] == 0:
                ready.append(e["target"])
    if len(order) != len(by_key) and not partial:
        return None
    return order
