"""Helpers to write graphs tersely in tests: ``A("key", "type", **config)`` and ``T("a", "b", output)``."""

from __future__ import annotations

from campaigns.engine import worktables
from campaigns.models import Run
from campaigns.services import campaign_create
from campaigns.services.graph import campaign_graph_replace
from campaigns.services.runs import run_start


def A(key, type_, *, enabled=True, breakpoint=False, **config):
    return {
        "key": key,
        "type": type_,
        "label": key,
        "config": config,
        "enabled": enabled,
        "breakpoint": breakpoint,
    }


def T(source, target, output="out"):
    return {"source": source, "target": target, "output": output}


def campaign_with(actor, activities, transitions, name="Test campaign"):
    campaign = campaign_create(actor=actor, name=name)
    campaign_graph_replace(
        actor=actor,
        campaign=campaign,
        document={"activities": activities, "transitions": transitions},
        version=0,
    )
    campaign.refresh_from_db()
    return campaign


def test_run(drive, actor, campaign, variables=None) -> Run:
    run = drive(run_start, actor=actor, campaign=campaign, variables=variables)
    run.refresh_from_db()
    return run


test_run.__test__ = False


def counts(run: Run) -> dict[str, int | None]:
    """``"source.output": row count`` of every transition (None when not activated)."""
    return {f"{r.source_key}.{r.output}": (r.row_count if r.activated else None) for r in run.results.all()}


def keys_of(run: Run, source: str, output: str = "out") -> set:
    import sqlalchemy as sa

    from audiences.catalog import database

    result = run.results.get(source_key=source, output=output)
    table = worktables.table_clause(result.table_name, result.key_columns)
    rows = database.fetch_all(sa.select(*table.c))
    return {r[0] if len(r) == 1 else tuple(r) for r in rows}
