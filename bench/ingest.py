"""Ingestion benchmark: the platform's CSV load against raw COPY of the same file (PostgreSQL).

    createdb -h 127.0.0.1 -U postgres oc_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oc_bench DEBUG=1 \
        .venv/bin/python bench/ingest.py --rows 1000000

It migrates the database it is given, creates a managed schema ``bench_customer`` through the catalog
services, writes a CSV file of ``--rows`` rows, then in the same run:
1. loads it through the platform (an ingestion run: on this clean file PostgreSQL's fast path, i.e. a
   screening COPY and then a COPY into the empty table, see audiences/ingestion/fastpath.py), and
2. COPYs the same file into a bare table with the same columns and primary key.
It prints rows per second for both, their ratio, and the process's peak memory (ru_maxrss). When the
database runs on this machine it also prints the CPU seconds the PostgreSQL backend spent on each (from
/proc): on a shared machine wall-clock times swing 2x with other load, CPU seconds much less.

Fairness: the bare table is created ``LIKE`` the managed table ``INCLUDING ALL`` (same columns, types,
NOT NULL and primary key), in the same database, and filled from the same file read the same way.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

FIELDS = [
    {"name": "id", "type": "bigint", "primary_key": True},
    {"name": "email", "type": "string", "max_length": 254},
    {"name": "name", "type": "string", "max_length": 100},
    {"name": "country", "type": "string", "max_length": 2},
    {"name": "points", "type": "integer"},
    {"name": "balance", "type": "decimal", "precision": 12, "scale": 2},
    {"name": "optin", "type": "boolean"},
    {"name": "born", "type": "date"},
    {"name": "updated_at", "type": "datetime", "is_version": True},
]


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    countries = ["US", "GB", "FR", "DE", "TW"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([f["name"] for f in FIELDS])
        for i in range(1, rows + 1):
            writer.writerow(
                [
                    i,
                    f"user{i}@example.com",
                    f"Name {rng.randrange(10**6)}",
                    rng.choice(countries),
                    rng.randrange(100_000),
                    f"{rng.randrange(10**7) / 100:.2f}",
                    "true" if rng.random() < 0.6 else "false",
                    f"{rng.randint(1940, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randrange(24):02d}:00:00",
                ]
            )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a local PostgreSQL backend, None when /proc does not show it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--reload",
        action="store_true",
        help="then load the file again into the full table (the upsert merge; every row is stale)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.services import user_create
    from audiences.catalog import services
    from audiences.catalog.models import Schema
    from audiences.ingestion.services import ingestion_run_create_local, ingestion_run_execute
    from audiences.ingestion.source import iter_chunks

    if connection.vendor != "postgresql":
        sys.exit("bench/ingest.py compares with raw COPY: point DATABASE_URL at PostgreSQL")
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(username="bench-admin").first() or user_create(
        username="bench-admin", profiles=["Administrator"]
    )
    for old in Schema.objects.filter(name="bench_customer"):
        services.schema_delete(actor=actor, schema=old)
    schema = services.schema_create(actor=actor, name="bench_customer", fields=FIELDS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute(f"CREATE TABLE bench_raw_copy (LIKE {schema.table_name} INCLUDING ALL)")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        started = time.perf_counter()
        write_csv(path, args.rows)
        print(
            f"generated {args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB"
            f" in {time.perf_counter() - started:.1f} s"
        )
        baseline_mb = peak_mb()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]

        # 1. the platform
        started, cpu_before = time.perf_counter(), backend_cpu(pid)
        run = ingestion_run_create_local(actor=actor, schema=schema, path=path)
        run = ingestion_run_execute(run_id=run.pk, path=path)
        platform_s = time.perf_counter() - started
        platform_cpu = _spent(backend_cpu(pid), cpu_before)
        assert run.status == "succeeded", run.error
        assert run.inserted == args.rows, run.inserted

        # 2. raw COPY of the same file, read the same way (1 MB chunks)
        started, cpu_before = time.perf_counter(), backend_cpu(pid)
        columns = ", ".join(f["name"] for f in FIELDS)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY bench_raw_copy ({columns}) FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
        ):
            for chunk in iter_chunks(path):
                copy.write(chunk)
        raw_s = time.perf_counter() - started
        raw_cpu = _spent(backend_cpu(pid), cpu_before)

        reload_s = None
        if args.reload:
            started = time.perf_counter()
            again = ingestion_run_create_local(actor=actor, schema=schema, path=path)
            again = ingestion_run_execute(run_id=again.pk, path=path)
            reload_s = time.perf_counter() - started
            assert again.status == "succeeded" and again.skipped == args.rows, again.error

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_raw_copy")
        assert cursor.fetchone()[0] == args.rows
        cursor.execute("DROP TABLE bench_raw_copy")
    services.schema_delete(actor=actor, schema=schema)

    platform_rate, raw_rate = args.rows / platform_s, args.rows / raw_s
    print(f"platform load : {platform_s:6.2f} s  {platform_rate:12,.0f} rows/s")
    print(f"raw COPY      : {raw_s:6.2f} s  {raw_rate:12,.0f} rows/s")
    print(f"ratio         : {platform_rate / raw_rate:.2f}x raw COPY (target >= 0.5)")
    print(
        f"peak memory   : {peak_mb():.0f} MB (ru_maxrss; {baseline_mb:.0f} MB before loading; target < 250)"
    )
    if reload_s is not None:
        print(f"reload        : {reload_s:6.2f} s  {args.rows / reload_s:12,.0f} rows/s (keys present)")
    if platform_cpu and raw_cpu:
        print(
            f"backend CPU   : platform {platform_cpu:.2f} s, raw COPY {raw_cpu:.2f} s,"
            f" ratio {raw_cpu / platform_cpu:.2f}x; load average {os.getloadavg()[0]:.1f}"
        )


def _spent(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


if __name__ == "__main__":
    main()
