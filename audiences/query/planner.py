"""Plan decisions of the rule compiler, made here and only here ("passes = decisions").

The builder asks the planner how to reach rows through links and how to evaluate aggregates, then
follows the answer. Every decision is recorded (``Decision``) so tests can assert the chosen plan and the
code view can explain it.

- A path through N-1 / 1-1 links cannot multiply rows: inside a sub-query its steps are inner joins.
- The first step out of the current row, and every 1-N step, is a semi-join written ``key IN
  (SELECT key ...)``, uncorrelated: PostgreSQL makes it a hash semi-join under AND and a hashed
  sub-plan (built once) under OR, where a correlated EXISTS would run once per row. A plain join would
  multiply rows. Negations (``not_exists``, ``is_empty`` through a link) are anti-joins (``NOT
  EXISTS``), which stay exact when keys are null.
- An OR group of semi-joins on the same key is one ``key IN (... UNION ...)``.
- Aggregates over a 1-N link are pre-aggregated once per key in a grouped sub-query (``GROUP BY key
  HAVING agg op value``) that the row's key is looked up in (``key IN (...)``). On PostgreSQL that plan
  was measured about three times faster than a correlated sub-query per row for a 90-day purchase sum
  (see docs/benchmarks.md). When the comparison also holds for rows with no related rows (``count < 3``,
  ``sum <= 100``: an empty set counts 0), the complement is looked up instead (``key NOT IN (groups
  where it fails)``), so customers without purchases are still counted, exactly.
- ``correlated`` is kept as an explicit option (``PlannerOptions``) to compare plans in the benchmark.
- An age function compared with whole numbers is a date range (``sargable``, see compiler/sargable.py).
- A count of a rule that is one semi-join on a one-column primary key is ``key = ANY(ARRAY(keys))`` on
  PostgreSQL (compiler/counts.py): the key set once, then index probes, never a per-worker rebuild.
  Exact without any referential-integrity assumption (the key is unique and not null).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field

from audiences.catalog.selectors import LinkSide

ZERO_DEFAULT = ("count", "count_distinct", "sum")  # aggregates whose value over no rows is 0


@dataclass(frozen=True)
class PlannerOptions:
    aggregate: str = "auto"  # "auto" (grouped), "grouped" or "correlated"


@dataclass(frozen=True)
class Decision:
    path: str
    kind: str  # "path", "exists", "aggregate"
    plan: str  # e.g. "semi_join+join", "grouped_in", "grouped_not_in", "correlated"


@dataclass(frozen=True)
class Step:
    side: LinkSide
    mode: str  # "exists" (semi-join on this step) or "join" (inner join inside the current sub-query)


@dataclass
class Planner:
    options: PlannerOptions = field(default_factory=PlannerOptions)
    decisions: list[Decision] = field(default_factory=list)

    def _steps(self, sides: list[LinkSide]) -> list[Step]:
        return [
            Step(side, "semi_join" if index == 0 or side.multiplies_rows else "join")
            for index, side in enumerate(sides)
        ]

    def path(self, node_path: str, sides: list[LinkSide]) -> list[Step]:
        """Steps to reach a field: a semi-join out of the current row and at every 1-N step, joins else."""
        steps = self._steps(sides)
        self.decisions.append(Decision(node_path, "path", "+".join(s.mode for s in steps)))
        return steps

    def exists(self, node_path: str, sides: list[LinkSide], negated: bool = False) -> list[Step]:
        """Like ``path``; a negated one is an anti-join (NOT EXISTS), right whatever nulls keys hold."""
        steps = self._steps(sides)
        plan = "+".join(s.mode for s in steps)
        self.decisions.append(Decision(node_path, "exists", f"anti_join:{plan}" if negated else plan))
        return steps

    def union(self, node_path: str) -> bool:
        """An OR group whose children are all semi-joins on the same key: one IN over a UNION of keys,
        one hashed semi-join instead of a sub-plan per row (PostgreSQL cannot semi-join under OR)."""
        self.decisions.append(Decision(node_path, "group", "union"))
        return True

    def sargable(self, node_path: str, function: str) -> None:
        """An age function compared with whole numbers (``YearsOld(@d) > 40``) is a range on the date
        column with bounds computed at compile time (``compiler/sargable.py``): one comparison per row
        instead of month arithmetic, and an index on the date can serve it."""
        self.decisions.append(Decision(node_path, "condition", f"date_range:{function}"))

    def aggregate(self, node_path: str, function: str, holds_on_empty: bool) -> str:
        """``grouped_in``, ``grouped_not_in`` or ``correlated`` for one aggregate condition."""
        if self.options.aggregate == "correlated":
            plan = "correlated"
        else:
            plan = "grouped_not_in" if (function in ZERO_DEFAULT and holds_on_empty) else "grouped_in"
        self.decisions.append(Decision(node_path, "aggregate", plan))
        return plan


def holds_on_empty(operator: str, values: list) -> bool:
    """Whether ``0 <operator> values`` holds: the aggregate of no rows (count, sum) compared."""
    zero = decimal.Decimal(0)
    numbers = [decimal.Decimal(str(v)) for v in values if v is not None]
    if len(numbers) != len([v for v in values if v is not None]) or not values:
        return False
    first = numbers[0] if numbers else None
    checks = {
        "equal": lambda: zero == first,
        "not_equal": lambda: zero != first,
        "less": lambda: zero < first,
        "less_or_equal": lambda: zero <= first,
        "greater": lambda: zero > first,
        "greater_or_equal": lambda: zero >= first,
        "between": lambda: len(numbers) == 2 and numbers[0] <= zero <= numbers[1],
        "in": lambda: zero in numbers,
        "not_in": lambda: zero not in numbers,
    }
    check = checks.get(operator)
    return bool(check and first is not None and check())
