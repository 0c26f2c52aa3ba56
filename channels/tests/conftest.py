"""Real parts for channel tests: a catalog with customers and bookings, an SMTP server (aiosmtpd on
loopback), channel configurations, and a helper that makes an input working table."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from audiences.catalog import database
from audiences.catalog.selectors import schema_table

CUSTOMERS = [
    # id, first_name, email, phone, token, email_ok, sms_ok, push_ok
    (1, "Ann", "ann@example.test", "+15550000001", "tok-ann-000001", True, True, True),
    (2, "Bob", "bob@other.test", "+15550000002", "tok-bob-000002", True, True, True),
    (3, "<Cy>", "cy@example.test", "+15550000003", "tok-cy-0000003", True, False, True),
    (4, "Dee", None, None, None, True, True, True),  # no address
    (5, "Eve", "not-an-address", "12345", "short", True, True, True),  # invalid
    (6, "Fay", "fay@example.test", "+15550000006", "tok-fay-000006", False, False, False),  # no consent
    (7, "Gus", "gus@example.test", "+15550000007", "tok-gus-000007", True, True, True),  # suppressed later
    (8, "Hal", "HAL@Example.test ", "+15550000008", "tok-hal-000008", True, True, True),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An aiosmtpd handler that keeps every message it accepts; optional scripted refusals."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.refuse: dict[str, str] = {}  # recipient -> SMTP reply
        self.drop_after_data: set[str] = set()  # recipients whose message is kept, then no answer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
            )
        if self.drop_after_data & set(envelope.rcpt_tos):
            server.transport.close()  # the message arrived, the client never hears so
        return "250 Message accepted"

    def to(self, address: str):
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]


@pytest.fixture
def smtp_sink():
    port = free_port()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.port = port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def catalog(administrator):
    from audiences.catalog import services

    pk = {"name": "id", "type": "bigint", "primary_key": True}
    customer = services.schema_create(
        actor=administrator,
        name="customer",
        fields=[
            pk,
            {"name": "first_name", "type": "string"},
            {"name": "email", "type": "string"},
            {"name": "phone", "type": "string"},
            {"name": "token", "type": "string"},
            {"name": "email_ok", "type": "boolean"},
            {"name": "sms_ok", "type": "boolean"},
            {"name": "push_ok", "type": "boolean"},
        ],
    )
    booking = services.schema_create(
        actor=administrator,
        name="booking",
        fields=[
            pk,
            {"name": "customer_id", "type": "bigint"},
            {"name": "flight", "type": "string"},
            {"name": "contact_email", "type": "string"},
        ],
    )
    services.link_create(
        actor=administrator,
        source=booking,
        target=customer,
        name="customer",
        reverse_name="bookings",
        cardinality="many_to_one",
        keys=[["customer_id", "id"]],
    )
    dimension = services.targeting_dimension_create(
        actor=administrator,
        schema=customer,
        data={
            "identity_field": "id",
            "email_field": "email",
            "sms_field": "phone",
            "push_field": "token",
            "email_consent_field": "email_ok",
            "sms_consent_field": "sms_ok",
            "push_consent_field": "push_ok",
        },
    )
    table = schema_table(customer)
    names = ["id", "first_name", "email", "phone", "token", "email_ok", "sms_ok", "push_ok"]
    database.execute(sa.insert(table).values([dict(zip(names, row, strict=True)) for row in CUSTOMERS]))
    btable = schema_table(booking)
    database.execute(
        sa.insert(btable).values(
            [
                {"id": 10, "customer_id": 1, "flight": "LX1", "contact_email": "ann+lx1@example.test"},
                {"id": 11, "customer_id": 1, "flight": "LX2", "contact_email": "ann+lx2@example.test"},
                {"id": 12, "customer_id": 2, "flight": "LX3", "contact_email": "bob+lx3@other.test"},
            ]
        )
    )
    yield {"customer": customer, "booking": booking, "dimension": dimension, "admin": administrator}
    # Transactional tests commit their DDL: drop what this fixture and make_source created.
    from django.db import connection

    for name in connection.introspection.table_names(include_views=True):
        if name.startswith(("oc_data_customer", "oc_data_booking", "oc_wt_t", "oc_cs_", "oc_rt_")):
            kind = "VIEW" if name.startswith("oc_rt_") else "TABLE"
            with connection.cursor() as cursor:
                cursor.execute(f'DROP {kind} IF EXISTS "{name}"')


WT_COUNTER = {"n": 0}


def make_source(catalog, ids, *, extra: dict | None = None):
    """An input working table with the dimension key (and optional enrichment columns)."""
    from channels.delivery.audience import Source

    WT_COUNTER["n"] += 1
    name = f"oc_wt_t{WT_COUNTER['n']}"
    extra = extra or {}
    cols = [sa.Column("id", sa.BigInteger)] + [sa.Column(c, sa.String) for c in extra]
    table = sa.Table(name, sa.MetaData(), *cols)
    database.execute(sa.schema.CreateTable(table))
    rows = [{"id": i, **{c: v.get(i) for c, v in extra.items()}} for i in ids]
    if rows:
        database.execute(sa.insert(table).values(rows))
    return Source(table=name, key_columns=["id"], columns=["id", *extra])


@pytest.fixture
def email_configuration(catalog, smtp_sink):
    from channels.services.configurations import configuration_create

    return configuration_create(
        actor=catalog["admin"],
        data={
            "name": "mail",
            "channel": "email",
            "provider": "smtp",
            "marketing": True,
            "transactional": True,
            "provider_settings": {"host": "127.0.0.1", "port": smtp_sink.port, "timeout": 5},
            "from_email": "news@shop.test",
            "from_name": "Shop",
            "rate_per_second": 2000,
            "dimension": catalog["dimension"],
            "tracking_base_url": "https://t.shop.test",
        },
    )


@pytest.fixture
def campaign(administrator):
    from campaigns.services import campaign_create

    return campaign_create(actor=administrator, name="Spring sale")


def email_config(**overrides):
    from channels.activities.configs import parse_activity_config

    raw = {
        "configuration": "mail",
        "content": {
            "subject": "Hello {{ recipient.first_name }}",
            "html": '<p>Hi {{ recipient.first_name }}</p><a href="https://shop.test/sale?a=1&amp;b=2">Sale</a>'
            '<a href="{{ unsubscribe_url }}">unsubscribe</a>',
            "text": "Hi {{ recipient.first_name }}, see https://shop.test/sale",
        },
    }
    raw.update(overrides)
    return parse_activity_config("email", raw)


def prepared_delivery(catalog, campaign, ids, config=None, *, channel="email", extra=None):
    from channels.services.deliveries import delivery_create, delivery_prepare

    config = config or email_config()
    delivery = delivery_create(
        campaign=campaign,
        run_id=None,
        activity_key="send",
        activity_label="Send",
        channel=channel,
        config=config,
    )
    return delivery_prepare(delivery=delivery, source=make_source(catalog, ids, extra=extra), config=config)


@pytest.fixture
def drive(django_capture_on_commit_callbacks):
    """Run a callable and every job it enqueues on commit (and theirs), in this process."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


HELD_CONTENT = {"subject": "Hi {{ recipient.first_name }}", "text": "Spring sale, {{ recipient.first_name }}"}


def published_email_campaign(catalog, approver, run_jobs, *, content=None):
    """A published one-time campaign, Build audience (customers) -> Email (configuration "mail") -> End,
    approved by ``approver``; its live run holds the email until someone confirms the send.
    ``run_jobs(func, *args)`` runs ``func`` and the jobs it enqueues (the ``drive`` fixture)."""
    from campaigns.tests.graphs import A, T, campaign_with
    from campaigns.tests.lifecycle_helpers import publish

    campaign = campaign_with(
        catalog["admin"],
        [
            A("src", "targeting.build_audience", dimension="customer"),
            A("mail", "channel.email", configuration="mail", content=content or HELD_CONTENT),
            A("end", "flow.end"),
        ],
        [T("src", "mail"), T("mail", "end")],
        name="Spring sale",
    )
    publish(run_jobs, campaign, catalog["admin"], approver=approver)
    return campaign


# the customers above with a valid address and email consent: who a marketing email reaches
EMAIL_RECIPIENTS = {
    "ann@example.test",
    "bob@other.test",
    "cy@example.test",
    "gus@example.test",
    "hal@example.test",
}
