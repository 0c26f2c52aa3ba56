# ruff: noqa: S608 - benchmark SQL: table names are the catalog's fixed names, no user input
"""Benchmark: a reference campaign of eight activities test-run by the engine against a hand-written
``CREATE TABLE ... AS`` script for the same steps, in the same process and database.

    createdb -h 127.0.0.1 -U postgres oc_bench_campaign
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oc_bench_campaign DEBUG=1 \
        .venv/bin/python bench/campaign.py --customers 1000000 --purchases 5000000

The data model and rows come from ``bench/rules.py``'s builder (customer, purchase, product, visit).
The campaign: Build audience (exists a purchase over 100 and a 90-day purchase sum over 150) ->
Enrichment (city, total spent) -> Deduplication on email -> Combine exclusion against a suppression
audience (Read audience) -> Split (top 10,000 by spend, a 20% random sample, the rest) -> Save audience.
Every step's count must equal the script's, or the run fails. Tasks are executed in this process one
after another (queue latency excluded); the engine's extra work (indexes, ANALYZE, bookkeeping) is in.
Also: peak memory of the process, and the engine's per-activity overhead on tiny data (median).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from accounts.services import user_create  # noqa: E402
from audiences.saved.models import Audience  # noqa: E402
from audiences.saved.services import audience_create  # noqa: E402
from audiences.saved.storage import members_table  # noqa: E402
from bench.rules import build  # noqa: E402
from campaigns.engine import executor, scheduler  # noqa: E402
from campaigns.models import Campaign  # noqa: E402
from campaigns.services import campaign_create  # noqa: E402
from campaigns.services.graph import campaign_graph_replace  # noqa: E402
from campaigns.services.runs import run_start  # noqa: E402

STEP_TIMES: dict[str, list[float]] = {}
LAST_TASKS: dict[str, int] = {}
SUPPRESSED = {"type": "condition", "field": "city", "operator": "equal", "value": "Brest"}


def cond(field, operator, value):
    return {"type": "condition", "field": field, "operator": operator, "value": value}


def tiny_graph() -> dict:
    """The same eight activities on 300 customers, without the purchase aggregates: SQL time is
    negligible, so a task's duration is the engine's own overhead."""
    document = graph(top=5)
    document["activities"][0]["config"]["rule"] = cond("id", "less_or_equal", 300)
    document["activities"][1]["config"]["aggregates"] = []
    document["activities"][5]["config"]["subsets"][0]["sort"] = [{"field": "city", "direction": "asc"}]
    document["activities"][3]["config"]["audience"] = "bench tiny suppression"
    return document


def target_rule(limit_id: int | None = None) -> dict:
    children = [
        {"type": "exists", "link": "purchases", "where": cond("amount", "greater", 100)},
        {
            "type": "aggregate",
            "link": "purchases",
            "function": "sum",
            "field": "amount",
            "where": {"type": "condition", "field": "purchased_on", "operator": "last_n_days", "value": 90},
            "operator": "greater",
            "value": 150,
        },
    ]
    if limit_id:
        children.append(cond("id", "less_or_equal", limit_id))
    return {"type": "group", "op": "and", "children": children}


def graph(limit_id: int | None = None, top: int = 10_000) -> dict:
    def a(key, type_, **config):
        return {"key": key, "type": type_, "config": config}

    def t(source, target, output="out"):
        return {"source": source, "target": target, "output": output}

    return {
        "activities": [
            a("target", "targeting.build_audience", dimension="customer", rule=target_rule(limit_id)),
            a(
                "enrich",
                "targeting.enrichment",
                fields=[{"name": "city", "path": "city"}],
                aggregates=[{"name": "spent", "link": "purchases", "function": "sum", "field": "amount"}],
            ),
            a(
                "dedup",
                "targeting.deduplication",
                fields=["email"],
                choose="highest",
                choose_expression="@age",
            ),
            a("suppressed", "targeting.read_audience", audience="bench suppression"),
            a("exclude", "targeting.combine", operation="exclusion", primary="dedup"),
            a(
                "split",
                "targeting.split",
                complement=True,
                subsets=[
                    {
                        "code": "top",
                        "limit": {"kind": "count", "value": top},
                        "sort": [{"field": "spent", "direction": "desc"}],
                    },
                    {"code": "sample", "limit": {"kind": "percent", "value": 20}},
                ],
            ),
            a("save", "targeting.save_audience", audience="bench top spenders"),
            a("end", "flow.end"),
        ],
        "transitions": [
            t("target", "enrich"),
            t("enrich", "dedup"),
            t("dedup", "exclude"),
            t("suppressed", "exclude"),
            t("exclude", "split"),
            t("split", "save", "top"),
            t("split", "end", "sample"),
            t("split", "end", "complement"),
            t("save", "end"),
        ],
    }


def run_engine(campaign, admin) -> tuple[float, dict, list]:
    queue: list[int] = []
    scheduler.enqueue = lambda task: queue.append(task.pk)  # this process is the worker
    started = time.perf_counter()
    run = run_start(actor=admin, campaign=campaign)
    durations = []  # wall time of each task_execute: claim, SQL, bookkeeping, scheduling the next ones
    while queue:
        task_started = time.perf_counter()
        executor.task_execute(queue.pop(0))
        durations.append((time.perf_counter() - task_started) * 1000)
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    LAST_TASKS.clear()
    LAST_TASKS.update({t.activity_key: t.duration_ms or 0 for t in run.tasks.all()})
    counts = {f"{r.source_key}.{r.output}": r.row_count for r in run.results.all() if r.activated}
    return elapsed, counts, durations


def run_script(customer: str, purchase: str, members: str, top: int) -> tuple[float, dict]:
    steps = [
        (
            "target.out",
            f"""CREATE UNLOGGED TABLE h_target AS SELECT c.id FROM {customer} c
            JOIN (SELECT customer_id FROM {purchase} WHERE purchased_on >= current_date - 90
                  GROUP BY customer_id HAVING sum(amount) > 150) a ON a.customer_id = c.id
            WHERE EXISTS (SELECT 1 FROM {purchase} p WHERE p.customer_id = c.id AND p.amount > 100)""",
        ),
        (
            "enrich.out",
            f"""CREATE UNLOGGED TABLE h_enrich AS SELECT h.id, c.city, s.spent FROM h_target h
            JOIN {customer} c ON c.id = h.id
            LEFT JOIN (SELECT w.id, sum(p.amount) AS spent FROM h_target w
                       JOIN {purchase} p ON p.customer_id = w.id GROUP BY w.id) s ON s.id = h.id""",
        ),
        (
            "dedup.out",
            f"""CREATE UNLOGGED TABLE h_dedup AS SELECT DISTINCT ON (c.email) h.* FROM h_enrich h
            JOIN {customer} c ON c.id = h.id ORDER BY c.email, c.age DESC NULLS LAST, h.id""",
        ),
        ("suppressed.out", f"CREATE UNLOGGED TABLE h_supp AS SELECT id FROM {members}"),
        (
            "exclude.out",
            """CREATE UNLOGGED TABLE h_excl AS SELECT d.* FROM h_dedup d
            WHERE NOT EXISTS (SELECT 1 FROM h_supp s WHERE s.id = d.id)""",
        ),
        (
            "split.top",
            f"""CREATE UNLOGGED TABLE h_top AS SELECT * FROM h_excl
            ORDER BY spent DESC NULLS LAST, id LIMIT {int(top)}""",
        ),
        (
            "split.sample",
            """CREATE UNLOGGED TABLE h_sample AS SELECT e.* FROM h_excl e
            WHERE NOT EXISTS (SELECT 1 FROM h_top t WHERE t.id = e.id)
            ORDER BY (e.id * 2654435761 + 2) % 2147483629, e.id
            LIMIT (SELECT count(*) / 5 FROM h_excl)""",
        ),
        (
            "split.complement",
            """CREATE UNLOGGED TABLE h_rest AS SELECT e.* FROM h_excl e
            WHERE NOT EXISTS (SELECT 1 FROM h_top t WHERE t.id = e.id)
              AND NOT EXISTS (SELECT 1 FROM h_sample s WHERE s.id = e.id)""",
        ),
        ("save.out", "CREATE UNLOGGED TABLE h_save AS SELECT * FROM h_top"),
    ]
    counts = {}
    with connection.cursor() as cursor:
        for name in (
            "h_target",
            "h_enrich",
            "h_dedup",
            "h_supp",
            "h_excl",
            "h_top",
            "h_sample",
            "h_rest",
            "h_save",
        ):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        started = time.perf_counter()
        for label, sql in steps:
            step_started = time.perf_counter()
            cursor.execute(sql)
            counts[label] = cursor.rowcount
            STEP_TIMES.setdefault(label, []).append(time.perf_counter() - step_started)
        elapsed = time.perf_counter() - started
    return elapsed, counts


def members_table_of(audience):
    keys = [f for f in audience.dimension.schema.fields.all() if f.primary_key]
    return members_table(audience, keys)


def ensure_campaign(admin, name, document) -> Campaign:
    campaign = Campaign.objects.filter(name=name).first() or campaign_create(actor=admin, name=name)
    campaign.refresh_from_db()
    campaign_graph_replace(actor=admin, campaign=campaign, document=document, version=campaign.graph_version)
    campaign.refresh_from_db()
    return campaign


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tiny-only", action="store_true", help="Only the per-activity overhead.")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only")
    dimension = build(args.customers, args.purchases)
    admin = user_create(username=f"bench-campaign-{int(time.time())}", profiles=["Administrator"])
    if not Audience.objects.filter(name="bench suppression").exists():
        audience_create(
            actor=admin, name="bench suppression", dimension=dimension, kind="static", rule=SUPPRESSED
        )
    if not Audience.objects.filter(name="bench tiny suppression").exists():
        tiny_rule = {"type": "group", "op": "and", "children": [SUPPRESSED, cond("id", "less_or_equal", 300)]}
        audience_create(
            actor=admin, name="bench tiny suppression", dimension=dimension, kind="static", rule=tiny_rule
        )
    members = Audience.objects.get(name="bench suppression")
    members_table = members_table_of(members).name
    customer = dimension.schema.table_name
    purchase = "oc_data_purchase"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    campaign = ensure_campaign(admin, "bench reference campaign", graph())
    engine_times, script_times = [], []
    for _ in range(0 if args.tiny_only else args.runs):
        script_time, script_counts = run_script(customer, purchase, members_table, 10_000)
        engine_time, engine_counts, _durations = run_engine(campaign, admin)
        for label, count in script_counts.items():
            assert engine_counts[label] == count, (label, engine_counts[label], count)
        engine_times.append(engine_time)
        script_times.append(script_time)
        print(
            f"engine {engine_time:.2f} s, script {script_time:.2f} s, ratio {engine_time / script_time:.2f}"
        )
    if engine_times:
        print("counts:", engine_counts)
        best_engine, best_script = min(engine_times), min(script_times)
        ratio = best_engine / best_script
        print(f"best: engine {best_engine:.2f} s, script {best_script:.2f} s, ratio {ratio:.2f}")
    if STEP_TIMES:
        print("script steps (best, s):", {k: round(min(v), 2) for k, v in STEP_TIMES.items()})
        print("engine tasks (last run, s):", {k: round(v / 1000, 2) for k, v in LAST_TASKS.items()})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (engine and script): {peak:.0f} MB")
    tiny = ensure_campaign(admin, "bench tiny campaign", tiny_graph())
    per_task = []
    for _ in range(10):
        _t, _c, durations = run_engine(tiny, admin)
        per_task += durations
    print(f"tiny data: median task_execute {statistics.median(per_task):.1f} ms over {len(per_task)} tasks")


if __name__ == "__main__":
    main()
