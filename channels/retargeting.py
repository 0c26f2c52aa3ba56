"""Retargeting: the ledger and the tracking events of one targeting dimension appear in the catalog as
two external schemas (database views) linked 1-N from the dimension, so the rule builder can say
"``channel_messages`` exists such as campaign_name = X and channel = email" and
"``channel_events`` does not exist such as kind = click".

The views are filtered by dimension and carry the recipient key with the identity's type (``profile_id``
for integer identities, ``profile_key`` otherwise), so the link joins on the identity field. They are
made through the catalog's public services (external registration, link creation), by an
Administrator: ``manage.py channels_retargeting`` or ``retargeting_links_ensure``.
"""

from __future__ import annotations

from django.db import connection, transaction

from audiences.catalog.models import Schema, TargetingDimension
from audiences.catalog.selectors import schema_links
from audiences.catalog.services import external_schema_register, link_create
from channels.models import Delivery, LedgerEntry, TrackingEvent

MESSAGES_LINK = "channel_messages"
EVENTS_LINK = "channel_events"


def view_names(dimension: TargetingDimension) -> tuple[str, str]:
    return f"oc_rt_{int(dimension.pk)}_messages", f"oc_rt_{int(dimension.pk)}_events"


def _view_sql(dimension: TargetingDimension) -> list[tuple[str, str]]:
    """The two SELECTs. Identifiers are Django table names; the only value is the dimension's integer id."""
    integer = dimension.identity_field.type in ("integer", "bigint")
    key = "profile_id" if integer else "profile_key"
    false = "false" if connection.vendor == "postgresql" else "0"
    led, dlv, evt = LedgerEntry._meta.db_table, Delivery._meta.db_table, TrackingEvent._meta.db_table
    where = f"d.dimension_id = {int(dimension.pk)} AND d.is_proof = {false}"
    messages, events = view_names(dimension)
    common = (
        "d.campaign_id AS campaign_id, d.campaign_name AS campaign_name, d.activity_key AS activity_key, "
    )
    common += "d.channel AS channel"
    message_columns = (
        f"l.id AS id, l.{key} AS recipient, {common}, d.run_id AS run_id, d.category AS category, "
        "l.state AS state, l.created_at AS created_at, l.sent_at AS sent_at"
    )
    event_columns = (
        f"e.id AS id, e.{key} AS recipient, {common}, e.kind AS kind, e.reason AS reason, e.url AS url, "
        "e.occurred_at AS occurred_at"
    )
    # Identifiers are Django table names and fixed aliases; the only value is the dimension's integer id.
    sql_messages = f"SELECT {message_columns} FROM {led} l JOIN {dlv} d ON d.id = l.delivery_id"  # noqa: S608
    sql_events = f"SELECT {event_columns} FROM {evt} e JOIN {dlv} d ON d.id = e.delivery_id"  # noqa: S608
    return [(messages, f"{sql_messages} WHERE {where}"), (events, f"{sql_events} WHERE {where}")]


@transaction.atomic
def retargeting_links_ensure(*, actor, dimension: TargetingDimension) -> list[str]:
    """Create (once) the views, their external schemas and the 1-N links; returns the link names made."""
    made = []
    existing = set(connection.introspection.table_names(include_views=True))
    links = schema_links(dimension.schema)
    for (view, select), link_name in zip(_view_sql(dimension), (MESSAGES_LINK, EVENTS_LINK), strict=True):
        if view not in existing:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE VIEW {view} AS {select}")
        schema = Schema.objects.filter(table_name=view).first()
        if schema is None:
            schema = external_schema_register(
                actor=actor,
                table_name=view,
                name=view.removeprefix("oc_"),
                primary_key=["id"],
                label=f"{dimension.schema.name} {link_name.replace('_', ' ')}",
            )
        if link_name not in links:
            link_create(
                actor=actor,
                source=dimension.schema,
                target=schema,
                name=link_name,
                reverse_name="profile",
                cardinality="one_to_many",
                keys=[[dimension.identity_field.name, "recipient"]],
            )
            made.append(link_name)
    return made
