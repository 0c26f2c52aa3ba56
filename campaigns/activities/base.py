"""The contract every activity type fulfils (see docs/activities.md).

A type declares its ``key``, ``label``, typed ``Config`` dataclass, how many inputs it takes, its
named outputs, how it validates against the graph, which dimension leaves it, and ``execute`` which
reads its input working tables and writes one working table per wired output, set-based, in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _

from campaigns.activities.config import ConfigError, dump_config, parse_config

if TYPE_CHECKING:
    from campaigns.engine.context import ExecutionContext, InputTable


FILE = "@file"


@dataclass
class GraphNode:
    """What validation knows of one activity: its inputs (in order) and the dimensions reaching it."""

    key: str
    type: str
    inputs: list[str]  # source activity keys, by transition order
    # Per input: a dimension's schema name, FILE for loaded-file rows, None for a signal without rows.
    input_dimensions: list[str | None] = field(default_factory=list)
    wired_outputs: list[str] = field(default_factory=list)
    # Whose permissions resolve saved audiences and filters the activity reads (None: shared ones only).
    reader: Any = None


@dataclass
class Outcome:
    """What ``execute`` returns: per wired output, a row count or None when it is not activated."""

    counts: dict[str, int | None] = field(default_factory=dict)
    pause: bool = False  # stop here (breakpoint-like); used by placeholders
    wait_until: Any = None  # a datetime: continue at that time, holding no worker
    message: str = ""


class ActivityType:
    key: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""  # one translatable sentence for the canvas (else the docstring)
    category: ClassVar[str] = "targeting"
    Config: ClassVar[type]
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    join_all: ClassVar[bool] = False  # AND-join semantics: runs only when every input was activated
    live_only: ClassVar[bool] = False  # in a test run it passes its population through untouched
    is_channel: ClassVar[bool] = False
    needs_audience: ClassVar[bool] = False  # needs a dimension (not a file) upstream

    # -- configuration --------------------------------------------------------------------------------
    def parse(self, raw: Any) -> Any:
        return parse_config(self.Config, raw)

    def dump(self, config: Any) -> dict:
        return dump_config(config)

    def outputs(self, config: Any) -> list[str]:
        return ["out"]

    def validate(self, config: Any, node: GraphNode) -> list[tuple[str, str]]:
        """Errors as (config path, message) given the graph around the node; the default has none."""
        return []

    def output_dimension(self, config: Any, node: GraphNode) -> str | None:
        """The dimension (schema name) of the population leaving the activity; None for a file."""
        return node.input_dimensions[0] if node.input_dimensions else None

    # -- execution ------------------------------------------------------------------------------------
    def execute(self, ctx: ExecutionContext, inputs: list[InputTable], config: Any) -> Outcome:
        raise NotImplementedError


def check_dimension(name: str, path: str = "dimension") -> list[tuple[str, str]]:
    from audiences.catalog.models import TargetingDimension

    if not TargetingDimension.objects.filter(schema__name=name).exists():
        return [(path, _("%(name)s is not a targeting dimension.") % {"name": name})]
    return []


__all__ = ["FILE", "ActivityType", "ConfigError", "GraphNode", "Outcome", "check_dimension"]
