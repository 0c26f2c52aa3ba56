"""The graph a run executes, read once per process per graph version instead of by every task.

Why: each task needs its activity's edges and, once done, the whole graph to find the next ready
activities; reading activities and transitions every time was three of a task's ~30 queries. Every
graph write bumps ``Campaign.graph_version`` and ``updated_at`` (``services/graph.py``), so the key
(campaign id, creation time, last update time, graph version) names one exact graph: the times keep a
reused id (SQLite after a rolled-back test) or a version number reused after a rolled-back write from
matching an older graph; other campaign saves only cost a reload. The cached rows are read-only: the executor
takes the executing activity's own row (configuration, enabled) fresh from the task.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from campaigns.models import Activity, Campaign, Transition

_MAX = 64
_lock = threading.Lock()
_graphs: dict[tuple, Graph] = {}


@dataclass(frozen=True)
class Graph:
    activities: dict[str, Activity]  # by key
    transitions: list[Transition]  # source and target resolved, in id order

    def inbound(self, key: str) -> list[Transition]:
        return [t for t in self.transitions if t.target.key == key]

    def outbound(self, key: str) -> list[Transition]:
        return [t for t in self.transitions if t.source.key == key]


def graph_of(campaign: Campaign) -> Graph:
    """The stored graph of ``campaign`` at its current ``graph_version`` (two queries on a miss)."""
    key = (campaign.pk, campaign.created_at, campaign.updated_at, campaign.graph_version)
    found = _graphs.get(key)
    if found is not None:
        return found
    activities = {a.key: a for a in Activity.objects.filter(campaign_id=campaign.pk).order_by("id")}
    by_id = {a.pk: a for a in activities.values()}
    transitions = list(Transition.objects.filter(campaign_id=campaign.pk).order_by("id"))
    for t in transitions:  # resolve from the activities just read instead of a join per row
        t.source, t.target = by_id[t.source_id], by_id[t.target_id]
    graph = Graph(activities, transitions)
    with _lock:
        if len(_graphs) >= _MAX:
            _graphs.clear()
        _graphs[key] = graph
    return graph


def graph_cache_clear() -> None:
    with _lock:
        _graphs.clear()
