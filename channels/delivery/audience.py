"""Who a delivery reaches and who it leaves out, and why: ONE set-based statement, then the ledger.

``staging = SELECT recipient, address, reason, data FROM <input working table> JOIN <dimension>
[JOIN <secondary rows>]`` computes, for every row, the first reason that excludes it: no address,
invalid address, suppression list (hard bounce, complaint, unsubscribe, by hand), no consent
(marketing), frequency capping (marketing, counted from the ledger). Then two ``INSERT ... SELECT``:
the recipients into the ledger (``ON CONFLICT DO NOTHING`` on (delivery, recipient): the exactly-once
key), the exclusions into the event table with their reason. Rows never come to Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from django.db import connection
from django.utils import timezone

from audiences.catalog import database
from audiences.catalog.models import TargetingDimension
from audiences.catalog.selectors import schema_fields, schema_links, schema_primary_key, schema_table
from channels.delivery.sqlparts import CreateTableAs, db_datetime, domain_of, drop_table, insert, json_object
from channels.models import (
    CappingPeriod,
    CappingRule,
    Category,
    Delivery,
    DeliveryLevel,
    EventKind,
    LedgerEntry,
    LedgerState,
    SuppressionEntry,
    SuppressionReason,
    TrackingEvent,
)

ADDRESS_PATTERNS = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "sms": r"^\+[1-9][0-9]{6,14}$",
    "push": r"^\S{8,}$",
}
# Ledger states that count towards frequency capping (the message went out or may have).
CAPPED_STATES = [
    LedgerState.PENDING,
    LedgerState.CLAIMED,
    LedgerState.SENDING,
    LedgerState.SENT,
    LedgerState.UNKNOWN,
]
TRANSACTIONAL_SUPPRESSIONS = [SuppressionReason.HARD_BOUNCE, SuppressionReason.MANUAL]


@dataclass
class Source:
    """The population a delivery starts from: a working table keyed on the dimension's key."""

    table: str
    key_columns: list[str]
    columns: list[str]


def _ledger_table() -> sa.TableClause:
    cols = [f.column for f in LedgerEntry._meta.concrete_fields]
    return sa.table(LedgerEntry._meta.db_table, *(sa.column(c) for c in cols))


def _events_table() -> sa.TableClause:
    cols = [f.column for f in TrackingEvent._meta.concrete_fields]
    return sa.table(TrackingEvent._meta.db_table, *(sa.column(c) for c in cols))


def period_start(period: str, now: dt.datetime) -> dt.datetime:
    """UTC-based resets: today 00:00, this Monday 00:00, the 1st of this month 00:00."""
    day = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == CappingPeriod.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if period == CappingPeriod.MONTH:
        return day.replace(day=1)
    return day


def staging_name(delivery_id: int) -> str:
    return f"oc_cs_{int(delivery_id)}"


def recipients_select(delivery: Delivery, source: Source, *, rule_set: str, now: dt.datetime) -> sa.Select:
    """The one statement: every input row with its recipient key, address, personalization data and
    exclusion reason (NULL for a recipient)."""
    configuration = delivery.configuration
    dimension: TargetingDimension = configuration.dimension
    channel, marketing = delivery.channel, delivery.category == Category.MARKETING
    src = sa.table(source.table, *(sa.column(c) for c in source.columns))
    dim = schema_table(dimension.schema).alias("d")
    frm = src.join(dim, sa.and_(*(dim.c[k] == src.c[k] for k in source.key_columns)))
    identity = dim.c[dimension.identity_field.name]
    profile_key = sa.cast(identity, sa.String)
    recipient_key = profile_key
    secondary = None
    if configuration.delivery_level == DeliveryLevel.SECONDARY:
        side = schema_links(dimension.schema)[configuration.secondary_link]
        secondary = schema_table(side.to_schema).alias("s")
        frm = frm.join(secondary, sa.and_(*(dim.c[a.name] == secondary.c[b.name] for a, b in side.keys)))
        for pk in schema_primary_key(side.to_schema):
            recipient_key = recipient_key + sa.literal(":") + sa.cast(secondary.c[pk.name], sa.String)
    address_name = configuration.address_field or getattr(dimension, f"{channel}_field").name
    raw = (
        secondary.c[address_name]
        if secondary is not None and address_name in secondary.c
        else dim.c[address_name]
    )
    address = sa.func.trim(sa.cast(raw, sa.String))
    if channel == "email":
        address = sa.func.lower(address)

    # Suppression and capping are joins against small derived tables (one row per suppressed or
    # recently messaged address), not subqueries per recipient: the database hashes them once.
    supp = sa.table(
        SuppressionEntry._meta.db_table,
        sa.column("channel", sa.String),
        sa.column("address", sa.String),
        sa.column("reason", sa.String),
    )
    supp_where = [supp.c.channel == channel]
    if not marketing:
        supp_where.append(supp.c.reason.in_([str(r) for r in TRANSACTIONAL_SUPPRESSIONS]))
    suppressed = sa.select(supp.c.address, supp.c.reason).where(*supp_where).subquery("sup")
    frm = frm.outerjoin(suppressed, suppressed.c.address == address)
    whens = [
        (sa.or_(raw.is_(None), address == ""), "no_address"),
        (
            sa.not_(sa.func.coalesce(address.regexp_match(ADDRESS_PATTERNS[channel]), False)),
            "invalid_address",
        ),
        (suppressed.c.reason.is_not(None), sa.literal("suppressed_") + suppressed.c.reason),
    ]
    if marketing:
        consent_field = getattr(dimension, f"{channel}_consent_field")
        consent = dim.c[consent_field.name] if consent_field else sa.null()
        whens.append((sa.func.coalesce(consent, False) != sa.true(), "no_consent"))
        capping = _capping(channel, rule_set, now)
        if capping is not None:
            counts, limits = capping
            frm = frm.outerjoin(counts, counts.c.address == address)
            capped = sa.or_(*(sa.func.coalesce(counts.c[f"n{i}"], 0) >= n for i, n in enumerate(limits)))
            whens.append((capped, "capping"))
    reason = sa.case(*whens, else_=sa.null())

    fields = schema_fields(dimension.schema)
    recipient_pairs = [(name, dim.c[name]) for name in fields]
    enrichment = [c for c in source.columns if c not in fields and c not in source.key_columns]
    data_pairs = [
        ("recipient", json_object(recipient_pairs)),
        ("enrichment", json_object([(c, src.c[c]) for c in enrichment])),
    ]
    if secondary is not None:
        data_pairs.append(("secondary", json_object([(c.key, c) for c in secondary.c])))
    integer_identity = dimension.identity_field.type in ("integer", "bigint")
    return sa.select(
        recipient_key.label("recipient_key"),
        profile_key.label("profile_key"),
        (sa.cast(identity, sa.BigInteger) if integer_identity else sa.null()).label("profile_id"),
        sa.func.coalesce(address, "").label("address"),
        reason.label("reason"),
        json_object(data_pairs).label("data"),
    ).select_from(frm)


def _capping(channel: str, rule_set: str, now: dt.datetime) -> tuple[sa.Subquery, list[int]] | None:
    """Marketing messages per address since each enabled rule's period start, counted once from the
    ledger (``n0``, ``n1``, … one column per rule), and the rules' limits in the same order."""
    rules = list(CappingRule.objects.filter(rule_set=rule_set, channel=channel, enabled=True).order_by("pk"))
    if not rules:
        return None
    led = _ledger_table().alias("cap")
    starts = [db_datetime(period_start(rule.period, now)) for rule in rules]
    counts = (
        sa.select(
            led.c.address,
            *(
                sa.func.sum(sa.case((led.c.created_at >= start, 1), else_=0)).label(f"n{i}")
                for i, start in enumerate(starts)
            ),
        )
        .where(
            led.c.channel == channel,
            led.c.category == Category.MARKETING.value,
            led.c.state.in_([str(s) for s in CAPPED_STATES]),
            led.c.created_at >= min(starts),
        )
        .group_by(led.c.address)
        .subquery("capped")
    )
    return counts, [rule.max_messages for rule in rules]


def prepare(delivery: Delivery, source: Source, *, rule_set: str = "default") -> tuple[int, int]:
    """Compute the audience and write the ledger and exclusions; returns (recipients, excluded).
    Runs inside the caller's transaction; the staging table lives only for its duration."""
    now = timezone.now()
    name = staging_name(delivery.pk)
    drop_table(name)
    database.execute(CreateTableAs(name, recipients_select(delivery, source, rule_set=rule_set, now=now)))
    stage = sa.table(
        name,
        *(sa.column(c) for c in ("recipient_key", "profile_key", "profile_id", "address", "reason", "data")),
    )
    ledger = _ledger_table()
    cols = [
        "delivery_id",
        "recipient_key",
        "profile_key",
        "profile_id",
        "channel",
        "category",
        "address",
        "domain",
        "variant",
        "data",
        "state",
        "claim_token",
        "attempts",
        "provider_message_id",
        "error",
        "created_at",
    ]
    domain = domain_of(stage.c.address) if delivery.channel == "email" else sa.literal("")
    data = stage.c.data
    if connection.vendor == "postgresql":
        data = sa.cast(data, sa.dialects.postgresql.JSONB)
    select = sa.select(
        sa.literal(delivery.pk),
        stage.c.recipient_key,
        stage.c.profile_key,
        stage.c.profile_id,
        sa.literal(delivery.channel),
        sa.literal(delivery.category),
        stage.c.address,
        domain,
        sa.literal(""),
        data,
        sa.literal(LedgerState.PENDING.value),
        sa.literal(""),
        sa.literal(0),
        sa.literal(""),
        sa.literal(""),
        sa.literal(db_datetime(now)),
    ).where(stage.c.reason.is_(None))
    statement = (
        insert(ledger)
        .from_select(cols, select)
        .on_conflict_do_nothing(index_elements=["delivery_id", "recipient_key"])
    )
    recipients = database.execute(statement)
    events = _events_table()
    ev_cols = ["delivery_id", "kind", "reason", "url", "profile_key", "profile_id", "address", "occurred_at"]
    ev_select = sa.select(
        sa.literal(delivery.pk),
        sa.literal(EventKind.EXCLUDED.value),
        stage.c.reason,
        sa.literal(""),
        stage.c.profile_key,
        stage.c.profile_id,
        stage.c.address,
        sa.literal(db_datetime(now)),
    ).where(stage.c.reason.is_not(None))
    excluded = database.execute(sa.insert(events).from_select(ev_cols, ev_select))
    drop_table(name)
    return recipients, excluded


def assign_variants(delivery: Delivery, variants: list[tuple[str, int]]) -> None:
    """Split recipients by ledger id: variant i takes ``share`` percent (id % 100 buckets); the rest
    keeps the main content. Deterministic and set-based."""
    if not variants:
        return
    ledger = _ledger_table()
    whens, low = [], 0
    for name, share in variants:
        whens.append(((ledger.c.id % 100) < low + share, name))
        low += share
    database.execute(
        sa.update(ledger).where(ledger.c.delivery_id == delivery.pk).values(variant=sa.case(*whens, else_=""))
    )


def preview_counts(delivery: Delivery, source: Source, *, rule_set: str = "default") -> dict[str, int]:
    """What a delivery would do, with no side effect: recipients and exclusions by reason (test runs)."""
    sub = recipients_select(delivery, source, rule_set=rule_set, now=timezone.now()).subquery()
    rows = database.fetch_all(sa.select(sub.c.reason, sa.func.count()).group_by(sub.c.reason))
    return {(reason or "recipients"): int(n) for reason, n in rows}
