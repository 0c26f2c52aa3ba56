"""Sending benchmark: personalized email through the platform's sender against a raw smtplib loop, and
the exclusion statement over 1,000,000 recipients (PostgreSQL).

    dropdb --if-exists -h 127.0.0.1 -U postgres oc_bench_send
    createdb -h 127.0.0.1 -U postgres oc_bench_send
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oc_bench_send DEBUG=1 \
        .venv/bin/python bench/send.py --messages 100000 --recipients 1000000

In one run, against one local SMTP sink (aiosmtpd in its own process; it counts and discards):
1. the exclusion statement: a marketing delivery's audience over ``--recipients`` rows (no address,
   invalid address, suppression list, consent, a frequency-capping rule), timed alone (``CREATE TABLE AS``
   of the one statement) and with the ledger and exclusion writes (``audience.prepare``);
2. a delivery of ``--messages`` recipients prepared as a live run's would be (ledger, template check);
3. a **raw loop** in a worker process: the same messages, rendered by the platform beforehand, sent with
   ``smtplib.SMTP.sendmail`` over one connection: the ceiling for this sink on this machine;
4. the **platform** in a worker process: ``send_delivery`` (claims, Jinja rendering, tracked links, the
   ``sending`` marks committed per group before the provider is called, batched outcome writes, the SMTP
   provider over ``OC_SEND_CONNECTIONS`` connections).
It prints messages per second for both, their ratio, the worker's peak memory (ru_maxrss), and how many
statements the sender ran per message (ledger writes batched). ``--inline-marks`` writes each group's
mark in the sending thread (no marker thread), for comparison; environment variables reach the worker
(e.g. ``OC_SEND_CONNECTIONS=1``).

The configuration's messages-per-second limit is raised above its admin maximum (2,000) with a queryset
update so the token bucket (still taken once per batch) does not cap the measure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

FIELDS = [
    {"name": "id", "type": "bigint", "primary_key": True},
    {"name": "first_name", "type": "string", "max_length": 100},
    {"name": "email", "type": "string", "max_length": 254},
    {"name": "email_ok", "type": "boolean"},
]
CONTENT = {
    "subject": "{{ recipient.first_name }}, your spring offer",
    "preheader": "Twenty percent off until Sunday",
    "html": (
        "<html><body><h1>Hello {{ recipient.first_name }}!</h1>"
        "<p>Spring is here, {{ recipient.first_name }}: twenty percent off everything until Sunday.</p>"
        '<p><a href="https://shop.example/spring?utm_source=email">See the offer</a></p>'
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>'
    ),
    "text": (
        "Hello {{ recipient.first_name }}!\n\nSpring is here: twenty percent off everything until Sunday.\n"
        "https://shop.example/spring?utm_source=email\n\nUnsubscribe: {{ unsubscribe_url }}\n"
    ),
}
# A recipient is deliverable unless: mod(id, 10) = 0 (no consent), mod(id, 100) = 7 (invalid address),
# mod(id, 1000) = 3 (suppressed), mod(id, 1000) = 13 (no address), mod(id, 1000) = 505 (capped: three
# marketing emails this week already).
DELIVERABLE = (
    "mod(id, 10) <> 0 AND mod(id, 100) <> 7 AND mod(id, 1000) <> 3 AND mod(id, 1000) <> 13"
    " AND mod(id, 1000) <> 505"
)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the sink (own process) ---------------------------------------------------------------------


def run_sink(port: int, count_file: str) -> None:
    """aiosmtpd on loopback that accepts and discards; writes how many messages it got on SIGTERM."""
    import signal
    import threading

    from aiosmtpd.controller import Controller

    class Discard:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Discard.received += 1
            return "250 OK"

    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print("ready", flush=True)
    done.wait()
    controller.stop()
    Path(count_file).write_text(str(Discard.received))


# --- workers (own processes) --------------------------------------------------------------------


def _django():
    import django

    django.setup()


def run_raw(delivery_id: int, port: int) -> None:
    """Render the delivery's messages with the platform beforehand (untimed), then send them with a
    plain smtplib loop over one connection (timed)."""
    _django()
    import smtplib

    from django.core.mail import EmailMultiAlternatives

    from channels.delivery.compose import base_context, compose, frozen_content
    from channels.models import Delivery, LedgerEntry

    delivery = Delivery.objects.select_related("configuration").get(pk=delivery_id)
    frozen, base = frozen_content(delivery), base_context(delivery)
    prepared = []
    for entry in LedgerEntry.objects.filter(delivery=delivery).order_by("id").iterator(chunk_size=2000):
        m = compose(delivery, frozen, entry, base)
        email = EmailMultiAlternatives(
            m.subject,
            m.text,
            m.from_email,
            [m.to],
            headers={**m.headers, "Message-ID": f"<{m.idempotency_key}@oc.invalid>"},
        )
        email.attach_alternative(m.html, "text/html")
        prepared.append((m.to, email.message().as_bytes(linesep="\r\n")))  # as Django sends it
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, raw in prepared:
            smtp.sendmail("news@shop.example", [to], raw)
    seconds = time.perf_counter() - started
    size = sum(len(raw) for _to, raw in prepared) / len(prepared)
    print(json.dumps({"messages": len(prepared), "seconds": seconds, "peak_mb": peak_mb(), "bytes": size}))


def run_worker(delivery_id: int, profile: str | None) -> None:
    """One sender process: the loop a django-q2 worker runs, until the delivery is done."""
    _django()
    from django.conf import settings
    from django.db import connection

    from channels.delivery.sender import send_delivery

    settings.OC_SEND_SYNCHRONOUS_COMMIT = os.environ.get("OC_BENCH_SYNCHRONOUS_COMMIT", "1") == "1"
    if os.environ.get("OC_BENCH_INLINE_MARKS") == "1":  # --inline-marks: no marker thread
        from channels.delivery import sender

        sender._Marker.ahead = property(lambda self: False)
        sender._Marker.ask = lambda self, group, settled: sender.completed(
            sender._mark_sending(group, self.token, settled)
        )

    statements = {"total": 0, "ledger_update": 0, "ledger_select": 0, "commit": 0}

    def count(execute, sql, params, many, context):
        statements["total"] += 1
        verb = sql.lstrip()[:6].upper()
        if "oc_channels_ledgerentry" in sql:
            if verb == "UPDATE":
                statements["ledger_update"] += 1
            elif verb == "SELECT":
                statements["ledger_select"] += 1
        if not connection.in_atomic_block and verb in ("UPDATE", "INSERT", "DELETE"):
            statements["commit"] += 1  # a write in autocommit is a transaction of its own
        return execute(sql, params, many, context)

    real_commit = connection.commit

    def commit():  # atomic() blocks commit through here
        statements["commit"] += 1
        return real_commit()

    connection.commit = commit
    phases = _time_phases()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        if profile:
            import cProfile

            cProfile.runctx(
                "result = send_delivery(delivery_id, max_seconds=3600)", globals(), locals(), profile
            )
        else:
            send_delivery(delivery_id, max_seconds=3600)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "statements": statements, "phases": phases}))


def _time_phases() -> dict[str, float]:
    """Wall-clock seconds the worker spends in each step (wrappers around the sender's own functions)."""
    from channels.delivery import sender
    from channels.providers.email_smtp import SmtpSession

    spent: dict[str, float] = {}

    def timed(name, func):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    sender.compose = timed("render (compose)", sender.compose)
    sender.marked = timed("waiting for sending marks (pipelined)", sender.marked)
    SmtpSession.send = timed("SMTP provider (MIME + SMTP)", SmtpSession.send)
    import smtplib

    smtplib.SMTP.sendmail = timed("of which smtplib sendmail", smtplib.SMTP.sendmail)
    sender.claim = timed("claim batches", sender.claim)
    sender._Outcomes.flush = timed("flush events + last outcomes", sender._Outcomes.flush)
    sender.ratelimit.take = timed("rate tokens", sender.ratelimit.take)
    return spent


def _spawn(*args: str) -> dict:
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, env=os.environ.copy()
    )
    if out.returncode:
        sys.exit(f"worker {args} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--profile", help="write the platform worker's cProfile stats to this file")
    parser.add_argument("--skip-raw", action="store_true")
    parser.add_argument(
        "--async-commit",
        action="store_true",
        help="the platform worker runs with OC_SEND_SYNCHRONOUS_COMMIT = False (see channels/README.md)",
    )
    parser.add_argument(
        "--inline-marks",
        action="store_true",
        help="the platform worker writes each group's sending mark inline (no marker thread), for comparison",
    )
    parser.add_argument("--sink", nargs=2, metavar=("PORT", "COUNT_FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--raw", nargs=2, type=int, metavar=("DELIVERY", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=int, metavar="DELIVERY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        return run_sink(int(args.sink[0]), args.sink[1])
    if args.raw:
        return run_raw(*args.raw)
    if args.worker:
        return run_worker(args.worker, args.profile)

    _django()
    import sqlalchemy as sa
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from accounts.services import user_create
    from audiences.catalog import database, services
    from audiences.catalog.models import Schema
    from campaigns.services import campaign_create
    from channels.activities.configs import parse_activity_config
    from channels.delivery import audience
    from channels.delivery.sqlparts import CreateTableAs, drop_table
    from channels.models import CappingRule, ChannelConfiguration, LedgerEntry, SuppressionEntry
    from channels.services.configurations import capping_rule_save, configuration_create
    from channels.services.deliveries import delivery_create, delivery_prepare

    if connection.vendor != "postgresql":
        sys.exit("bench/send.py measures PostgreSQL: point DATABASE_URL at it")
    call_command("migrate", verbosity=0)
    if Schema.objects.filter(name="bench_recipient").exists():
        sys.exit("bench_recipient exists: run on a fresh database (see the command in the docstring)")
    from django.conf import settings

    settings.OC_SENDERS_PER_DELIVERY = 0  # the benchmark starts its own worker processes
    actor = get_user_model().objects.filter(username="bench-admin").first() or user_create(
        username="bench-admin", profiles=["Administrator"]
    )
    population = max(args.recipients, args.messages * 2)
    schema = services.schema_create(actor=actor, name="bench_recipient", fields=FIELDS)
    dimension = services.targeting_dimension_create(
        actor=actor,
        schema=schema,
        data={"identity_field": "id", "email_field": "email", "email_consent_field": "email_ok"},
    )
    table = schema.table_name
    started = time.perf_counter()
    with connection.cursor() as cursor:
        names = "ARRAY['Ann','Bob','Chloé','Dmitri','Eve','Farah','Gus','Hiroko','Ines','Jamal']"
        cursor.execute(
            f"INSERT INTO {table} (id, first_name, email, email_ok) "  # noqa: S608 (catalog names)
            f"SELECT g, ({names})[1 + mod(g, 10)] || ' ' || g, "
            "CASE WHEN mod(g, 1000) = 13 THEN NULL WHEN mod(g, 100) = 7 THEN 'user' || g || '-at-example' "
            "ELSE 'user' || g || '@example.com' END, mod(g, 10) <> 0 "
            "FROM generate_series(1, %s) g",
            [population],
        )
        cursor.execute(
            f"INSERT INTO {SuppressionEntry._meta.db_table} (channel, address, reason, detail, created_at) "  # noqa: S608
            "SELECT 'email', 'user' || g || '@example.com', 'unsubscribe', '', now() "
            "FROM generate_series(3, %s, 1000) g",
            [population],
        )
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"ANALYZE {SuppressionEntry._meta.db_table}")
    print(f"recipients    : {population:,} rows generated in {time.perf_counter() - started:.1f} s")

    port, count_file = free_port(), str(Path(tempfile.gettempdir()) / f"oc_bench_sink_{os.getpid()}")
    sink = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, "--sink", str(port), count_file], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout.readline().strip() == "ready"
    try:
        configuration = configuration_create(
            actor=actor,
            data={
                "name": "bench-email",
                "channel": "email",
                "provider": "smtp",
                "marketing": True,
                "provider_settings": {"host": "127.0.0.1", "port": port, "timeout": 30},
                "from_email": "news@shop.example",
                "from_name": "Shop",
                "rate_per_second": 2000,
                "dimension": dimension,
                "tracking_base_url": "https://t.shop.example",
            },
        )
        ChannelConfiguration.objects.filter(pk=configuration.pk).update(rate_per_second=1_000_000)
        if not CappingRule.objects.filter(rule_set="default", channel="email").exists():
            capping_rule_save(actor=actor, rule=CappingRule(channel="email", max_messages=3, period="week"))
        campaign = campaign_create(actor=actor, name="Spring bench")
        config = parse_activity_config(
            "email", {"configuration": "bench-email", "category": "marketing", "content": CONTENT}
        )

        # Earlier marketing sends this week, for the capping rule to count: one for every fifth
        # recipient, three (the limit) for one in a thousand.
        history = delivery_create(
            campaign=campaign,
            run_id=None,
            activity_key="history",
            activity_label="History",
            channel="email",
            config=config,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {LedgerEntry._meta.db_table} (delivery_id, recipient_key, profile_key,"  # noqa: S608
                " profile_id, channel, category, address, domain, variant, data, state, claim_token,"
                " attempts, provider_message_id, error, created_at, sent_at)"
                " SELECT %s, g || ':' || n, g, g, 'email', 'marketing', 'user' || g || '@example.com',"
                " 'example.com', '', '{}', 'sent', '', 1, '', '', now() - interval '1 minute',"
                " now() - interval '1 minute'"
                " FROM generate_series(5, %s, 5) g, generate_series(1, 3) n"
                " WHERE n = 1 OR mod(g, 1000) = 505",
                [history.pk, population],
            )
            cursor.execute(f"ANALYZE {LedgerEntry._meta.db_table}")
            cursor.execute(f"SELECT count(*) FROM {LedgerEntry._meta.db_table}")  # noqa: S608
            print(f"history       : {cursor.fetchone()[0]:,} marketing ledger rows this week")

        # 1. the exclusion statement over every recipient
        # Identifiers: the catalog's table name and fixed names; the only value is bound.
        everyone = f"SELECT id FROM {table}"  # noqa: S608
        deliverable = f"SELECT id FROM {table} WHERE {DELIVERABLE} ORDER BY id LIMIT %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS bench_all; CREATE TABLE bench_all AS {everyone}")
            cursor.execute(
                f"DROP TABLE IF EXISTS bench_send; CREATE TABLE bench_send AS {deliverable}", [args.messages]
            )
            cursor.execute("ANALYZE bench_all; ANALYZE bench_send")
        all_source = audience.Source(table="bench_all", key_columns=["id"], columns=["id"])
        probe = delivery_create(
            campaign=campaign,
            run_id=None,
            activity_key="probe",
            activity_label="Probe",
            channel="email",
            config=config,
        )
        with transaction.atomic():
            started = time.perf_counter()
            statement = audience.recipients_select(probe, all_source, rule_set="default", now=timezone.now())
            database.execute(CreateTableAs("bench_excl", statement))
            statement_s = time.perf_counter() - started
            reasons = dict(
                database.fetch_all(
                    sa.text("SELECT coalesce(reason, 'recipient'), count(*) FROM bench_excl GROUP BY 1")
                )
            )
            drop_table("bench_excl")
            started = time.perf_counter()
            recipients, excluded = audience.prepare(probe, all_source, rule_set="default")
            prepare_s = time.perf_counter() - started
            transaction.set_rollback(True)  # measured; the 1M-row ledger is not kept
        print(
            f"exclusion     : {population:,} recipients, one statement (CREATE TABLE AS) {statement_s:.2f} s"
        )
        print(
            f"                with ledger + exclusion writes (audience.prepare) {prepare_s:.2f} s:"
            f" {recipients:,} recipients, {excluded:,} excluded"
        )
        print(f"                reasons {json.dumps(reasons, sort_keys=True)}")

        # 2. the delivery to send
        started = time.perf_counter()
        delivery = delivery_create(
            campaign=campaign,
            run_id=None,
            activity_key="send",
            activity_label="Send",
            channel="email",
            config=config,
        )
        source = audience.Source(table="bench_send", key_columns=["id"], columns=["id"])
        delivery = delivery_prepare(delivery=delivery, source=source, config=config)
        prepare_send_s = time.perf_counter() - started
        ledger_rows = LedgerEntry.objects.filter(delivery=delivery).count()
        assert ledger_rows == args.messages, (ledger_rows, delivery.excluded)
        print(f"prepared      : {ledger_rows:,} ledger rows in {prepare_send_s:.2f} s")
        load = os.getloadavg()[0]

        # 3. the raw loop, 4. the platform
        raw = None if args.skip_raw else _spawn("--raw", str(delivery.pk), str(port))
        worker_args = ["--worker", str(delivery.pk)] + (["--profile", args.profile] if args.profile else [])
        os.environ["OC_BENCH_SYNCHRONOUS_COMMIT"] = "0" if args.async_commit else "1"
        os.environ["OC_BENCH_INLINE_MARKS"] = "1" if args.inline_marks else "0"
        platform = _spawn(*worker_args)
        states = dict(
            LedgerEntry.objects.filter(delivery=delivery)
            .values_list("state")
            .annotate(n=Count("id"))
            .order_by()
        )
    finally:
        sink.terminate()
        sink.wait(timeout=30)
    received = int(Path(count_file).read_text())
    Path(count_file).unlink()
    expected = args.messages * (1 if args.skip_raw else 2)
    rate = args.messages / platform["seconds"]
    stats = platform["statements"]
    if raw:
        raw_rate = raw["messages"] / raw["seconds"]
        print(
            f"raw smtplib   : {raw['seconds']:7.2f} s  {raw_rate:9,.0f} messages/s"
            f" (one connection, pre-rendered, {raw['bytes']:,.0f} bytes each)"
        )
    mode = "asynchronous" if args.async_commit else "synchronous (durable)"
    mode += ", marks inline" if args.inline_marks else ""
    print(
        f"platform      : {platform['seconds']:7.2f} s  {rate:9,.0f} messages/s"
        f" (one worker process; {mode} commits)"
    )
    if raw:
        print(f"ratio         : {rate / raw_rate:.2f}x the raw loop (target >= 0.5)")
    print(f"worker memory : {platform['peak_mb']:.0f} MB peak (ru_maxrss; target < 300)")
    phases = ", ".join(
        f"{name} {seconds / args.messages * 1000:.2f}"
        for name, seconds in sorted(platform["phases"].items(), key=lambda kv: -kv[1])
    )
    print(f"worker ms/msg : {phases}")
    print(
        f"statements    : {stats['total'] / args.messages:.2f} per message; ledger UPDATEs"
        f" {stats['ledger_update'] / args.messages:.2f}, ledger SELECTs {stats['ledger_select']}, commits"
        f" {stats['commit'] / args.messages:.2f} per message"
    )
    print(f"ledger states : {json.dumps(states, sort_keys=True)}; sink received {received:,} of {expected:,}")
    print(f"load average  : {load:.1f} before sending, {os.getloadavg()[0]:.1f} after")
    assert states == {"sent": args.messages}, states
    assert received == expected, (received, expected)


if __name__ == "__main__":
    main()
