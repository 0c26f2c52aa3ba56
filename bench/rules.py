# ruff: noqa: S608 - benchmark SQL: table names are the catalog's fixed names, no user input
"""Benchmark: the platform's exact rule counts against the fastest hand-written SQL, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oc_bench DEBUG=1 \
        .venv/bin/python bench/rules.py --customers 1000000 --purchases 5000000

Builds (once) a demo data model through the catalog services and fills it set-based with
``INSERT ... SELECT generate_series`` (deterministic, about 5 purchases per customer), then for each of
five reference rules times the platform's count (compiled by the rule compiler) and two or three
hand-written plans, keeps the best hand-written time and prints the ratio. Every plan must return the
same count as the platform, or the run fails. Also prints the median compile time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.services import user_create  # noqa: E402
from audiences.catalog import database  # noqa: E402
from audiences.catalog import services as catalog  # noqa: E402
from audiences.catalog.models import TargetingDimension  # noqa: E402
from audiences.query import services  # noqa: E402
from audiences.query.compiler import CatalogSnapshot  # noqa: E402

PK = {"name": "id", "type": "bigint", "primary_key": True}


def build(customers: int, purchases: int) -> TargetingDimension:
    existing = TargetingDimension.objects.filter(schema__name="customer").first()
    if existing is not None:
        return existing
    admin = user_create(username=f"bench-{int(time.time())}", profiles=["Administrator"])
    product = catalog.schema_create(
        actor=admin,
        name="product",
        fields=[
            PK,
            {"name": "brand", "type": "string", "max_length": 40},
            {"name": "category", "type": "string"},
        ],
    )
    customer = catalog.schema_create(
        actor=admin,
        name="customer",
        fields=[
            PK,
            {"name": "email", "type": "string", "is_personal": True},
            {"name": "age", "type": "integer"},
            {"name": "city", "type": "string", "max_length": 40},
            {"name": "vip", "type": "boolean"},
            {"name": "birth_date", "type": "date"},
            {"name": "created_at", "type": "datetime"},
        ],
    )
    purchase = catalog.schema_create(
        actor=admin,
        name="purchase",
        fields=[
            PK,
            {"name": "customer_id", "type": "bigint"},
            {"name": "product_id", "type": "bigint"},
            {"name": "amount", "type": "decimal", "precision": 10, "scale": 2},
            {"name": "purchased_on", "type": "date"},
        ],
    )
    visit = catalog.schema_create(
        actor=admin,
        name="visit",
        fields=[
            PK,
            {"name": "customer_id", "type": "bigint"},
            {"name": "page", "type": "string", "max_length": 40},
            {"name": "visited_on", "type": "date"},
        ],
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"""INSERT INTO {product.table_name} (id, brand, category)
            SELECT g, 'brand_' || (g %% 200), 'cat_' || (g %% 20) FROM generate_series(1, 10000) g""", [])
        cursor.execute(
            f"""INSERT INTO {customer.table_name} (id, email, age, city, vip, birth_date, created_at)
            SELECT g, 'c' || g || '@example.test', 18 + (g * 7919) %% 60,
                   (ARRAY['Paris','Lyon','Nice','Lille','Brest'])[1 + g %% 5], g %% 3 = 0,
                   date '1950-01-01' + ((g * 31) %% 20000)::int, now() - ((g %% 1500) || ' days')::interval
            FROM generate_series(1::bigint, %s) g""",
            [customers],
        )
        cursor.execute(
            f"""INSERT INTO {purchase.table_name} (id, customer_id, product_id, amount, purchased_on)
            SELECT g, 1 + (g * 2654435761) %% %s, 1 + (g * 7) %% 10000, ((g * 37) %% 50000) / 100.0,
                   current_date - ((g * 13) %% 730)::int
            FROM generate_series(1::bigint, %s) g""",
            [customers, purchases],
        )
        cursor.execute(
            f"""INSERT INTO {visit.table_name} (id, customer_id, page, visited_on)
            SELECT g, 1 + (g * 40503) %% %s, CASE WHEN g %% 50 = 0 THEN 'cart' ELSE 'home' END,
                   current_date - (g %% 365)::int
            FROM generate_series(1::bigint, %s) g""",
            [customers, customers * 2],
        )
    # Links index the key columns of the "many" side (purchase.customer_id, purchase.product_id, ...).
    catalog.link_create(
        actor=admin,
        source=purchase,
        target=customer,
        name="customer",
        reverse_name="purchases",
        cardinality="many_to_one",
        keys=[["customer_id", "id"]],
    )
    catalog.link_create(
        actor=admin,
        source=purchase,
        target=product,
        name="product",
        reverse_name="purchases",
        cardinality="many_to_one",
        keys=[["product_id", "id"]],
    )
    catalog.link_create(
        actor=admin,
        source=visit,
        target=customer,
        name="customer",
        reverse_name="visits",
        cardinality="many_to_one",
        keys=[["customer_id", "id"]],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"built demo data in {time.perf_counter() - started:.1f} s")
    return catalog.targeting_dimension_create(actor=admin, schema=customer, data={"identity_field": "id"})


RULES = {
    "attributes only": {
        "type": "group",
        "children": [
            {"type": "condition", "field": "age", "operator": "between", "values": [30, 45]},
            {"type": "condition", "field": "vip", "operator": "equal", "value": True},
            {"type": "condition", "field": "city", "operator": "in", "values": ["Paris", "Nice"]},
        ],
    },
    "exists with sub-conditions": {
        "type": "exists",
        "link": "purchases",
        "where": {
            "type": "group",
            "children": [
                {"type": "condition", "field": "product.brand", "operator": "equal", "value": "brand_7"},
                {"type": "condition", "field": "amount", "operator": "greater", "value": 100},
            ],
        },
    },
    "90-day purchase sum": {
        "type": "aggregate",
        "link": "purchases",
        "function": "sum",
        "field": "amount",
        "where": {"type": "condition", "field": "purchased_on", "operator": "last_n_days", "value": 90},
        "operator": "greater",
        "value": 500,
    },
    "OR across two links": {
        "type": "group",
        "op": "or",
        "children": [
            {
                "type": "condition",
                "field": "purchases.product.brand",
                "operator": "equal",
                "value": "brand_3",
            },
            {"type": "condition", "field": "visits.page", "operator": "equal", "value": "cart"},
        ],
    },
    "expression with date functions": {
        "type": "group",
        "children": [
            {"type": "condition", "left": "YearsOld(@birth_date)", "operator": "greater", "value": 40},
            {"type": "condition", "left": "DaysOld(@created_at)", "operator": "less", "value": 365},
        ],
    },
}

# Hand-written plans answering the same questions (tables named by the catalog: oc_data_<schema>).
C, P, PR, V = "oc_data_customer", "oc_data_purchase", "oc_data_product", "oc_data_visit"
HAND = {
    "attributes only": [
        f"SELECT count(*) FROM {C} WHERE age BETWEEN 30 AND 45 AND vip AND city IN ('Paris', 'Nice')",
        f"SELECT count(*) FROM {C} WHERE vip AND city = ANY(ARRAY['Paris','Nice']) "
        f"AND age >= 30 AND age <= 45",
    ],
    "exists with sub-conditions": [
        f"SELECT count(*) FROM {C} c WHERE EXISTS (SELECT 1 FROM {P} p JOIN {PR} r ON r.id = p.product_id "
        f"WHERE p.customer_id = c.id AND r.brand = 'brand_7' AND p.amount > 100)",
        f"SELECT count(DISTINCT p.customer_id) FROM {P} p JOIN {PR} r ON r.id = p.product_id "
        f"WHERE r.brand = 'brand_7' AND p.amount > 100",
        f"SELECT count(*) FROM {C} c WHERE c.id IN (SELECT p.customer_id FROM {P} p WHERE p.amount > 100 "
        f"AND p.product_id IN (SELECT id FROM {PR} WHERE brand = 'brand_7'))",
    ],
    "90-day purchase sum": [
        f"SELECT count(*) FROM (SELECT customer_id FROM {P} WHERE purchased_on >= current_date - 90 "
        f"AND purchased_on < current_date + 1 GROUP BY customer_id HAVING sum(amount) > 500) g",
        f"SELECT count(*) FROM {C} c JOIN (SELECT customer_id, sum(amount) s FROM {P} "
        f"WHERE purchased_on >= current_date - 90 AND purchased_on < current_date + 1 "
        f"GROUP BY customer_id) g "
        f"ON g.customer_id = c.id WHERE g.s > 500",
        f"SELECT count(*) FROM {C} c WHERE (SELECT sum(amount) FROM {P} p WHERE p.customer_id = c.id "
        f"AND purchased_on >= current_date - 90 AND purchased_on < current_date + 1) > 500",
    ],
    "OR across two links": [
        f"SELECT count(*) FROM {C} c WHERE EXISTS (SELECT 1 FROM {P} p JOIN {PR} r ON r.id = p.product_id "
        f"WHERE p.customer_id = c.id AND r.brand = 'brand_3') OR EXISTS (SELECT 1 FROM {V} v "
        f"WHERE v.customer_id = c.id AND v.page = 'cart')",
        f"SELECT count(*) FROM (SELECT p.customer_id FROM {P} p JOIN {PR} r ON r.id = p.product_id "
        f"WHERE r.brand = 'brand_3' UNION SELECT customer_id FROM {V} WHERE page = 'cart') u",
        f"SELECT count(*) FROM {C} c WHERE c.id IN (SELECT p.customer_id FROM {P} p JOIN {PR} r "
        f"ON r.id = p.product_id WHERE r.brand = 'brand_3') OR c.id IN (SELECT customer_id FROM {V} "
        f"WHERE page = 'cart')",
    ],
    "expression with date functions": [
        f"SELECT count(*) FROM {C} WHERE birth_date <= current_date - interval '41 years' "
        f"AND created_at > now() - interval '365 days'",
        f"SELECT count(*) FROM {C} WHERE date_part('year', age(current_date, birth_date)) > 40 "
        f"AND now() - created_at < interval '365 days'",
    ],
}


def timed(sql: str, params=(), runs: int = 3) -> tuple[float, int]:
    """Best of ``runs`` (after one warm-up) in ms, and the count."""
    best, value = float("inf"), None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        value = cursor.fetchone()[0]
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql, params)
            value = cursor.fetchone()[0]
            best = min(best, (time.perf_counter() - started) * 1000)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark runs on PostgreSQL (set DATABASE_URL).")
    call_command("migrate", verbosity=0)
    dimension = build(args.customers, args.purchases)
    print(f"{'rule':32} {'platform ms':>12} {'best hand ms':>13} {'ratio':>6}  plan / best hand-written")
    for name, rule in RULES.items():
        statement = services.rule_count_select(dimension=dimension, rule=rule)
        sql, params = database.compile_statement(statement)
        platform, count = timed(sql, params, args.runs)
        hand = []
        for index, text in enumerate(HAND[name]):
            ms, value = timed(text, (), args.runs)
            if value != count:
                sys.exit(f"{name}: hand-written plan {index} counts {value}, the platform {count}")
            hand.append((ms, index))
        best, index = min(hand)
        plan = [d.plan for d in services.rule_compile(dimension=dimension, rule=rule).decisions] or ["-"]
        print(
            f"{name:32} {platform:12.1f} {best:13.1f} {platform / best:6.2f}  {','.join(plan)} / #{index}"
            f" (count {count})"
        )
    compile_ms = []
    for _ in range(5):
        for rule in RULES.values():
            compile_ms.append(services.compile_time_ms(dimension=dimension, rule=rule))
    snapshot = CatalogSnapshot()
    warm = []
    for _ in range(5):
        for rule in RULES.values():
            started = time.perf_counter()
            compiled = services.rule_compile(dimension=dimension, rule=rule, catalog=snapshot)
            database.compile_statement(compiled.predicate)
            warm.append((time.perf_counter() - started) * 1000)
    print(
        f"compile median {statistics.median(compile_ms):.2f} ms (catalog loaded each time), "
        f"{statistics.median(warm):.2f} ms (catalog snapshot reused)"
    )


if __name__ == "__main__":
    main()
