"""Kill a sender process (SIGKILL) in the middle of a delivery, then resume: every recipient received
exactly one message, counted at the SMTP server, but the rows the dead sender had marked ``sending``:
those are "unknown" and never sent again (one row at a slow rate; at a fast rate at most two groups
of ``OC_SEND_MARK_GROUP`` rows, ``sender.in_doubt_limit``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
import sqlalchemy as sa
from django.conf import settings as django_settings
from django.db import connection

from audiences.catalog import database
from audiences.catalog.selectors import schema_table
from channels.delivery.recovery import recover_expired
from channels.delivery.sender import in_doubt_limit, send_delivery
from channels.models import LedgerEntry
from channels.tests.conftest import prepared_delivery


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.parametrize(
    ("rate", "group", "recipients", "kill_after"),
    [(20, 20, 60, 15), (1000, 6, 600, 150)],
    ids=["slow-one-row-per-mark", "fast-pipelined-groups"],
)
@pytest.mark.django_db(transaction=True)
def test_killing_a_sender_mid_delivery_then_resuming_sends_every_message_once(
    catalog, campaign, email_configuration, smtp_sink, settings, rate, group, recipients, kill_after
):
    settings.OC_SENDERS_PER_DELIVERY = 0  # no in-process sender: only the subprocess sends at first
    settings.OC_SEND_MARK_GROUP = group
    # given: consenting customers and a configuration sending `rate` messages per second
    ids = list(range(100, 100 + recipients))
    database.execute(
        sa.insert(schema_table(catalog["customer"])).values(
            [{"id": i, "first_name": f"C{i}", "email": f"c{i}@example.test", "email_ok": True} for i in ids]
        )
    )
    email_configuration.rate_per_second = rate
    email_configuration.save(update_fields=["rate_per_second"])
    delivery = prepared_delivery(catalog, campaign, ids)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "TESTING": "1",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "OC_SEND_MARK_GROUP": str(group),
    }
    # when: a sender process runs and is killed after some messages arrived
    victim = subprocess.Popen(  # noqa: S603
        [sys.executable, str(django_settings.BASE_DIR / "manage.py"), "send_delivery", str(delivery.pk)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(smtp_sink.messages) < kill_after and time.monotonic() < deadline and victim.poll() is None:
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    received_before = len(smtp_sink.messages)
    # then resume: recovery settles the dead claims (lease expired), another sender finishes
    recover_expired(delivery, lease_seconds=-1)
    send_delivery(delivery.pk, max_seconds=60)
    # then
    assert kill_after <= received_before < recipients
    per_recipient = Counter(r for rcpts, _m in smtp_sink.messages for r in rcpts)
    states = dict(LedgerEntry.objects.filter(delivery=delivery).values_list("address", "state"))
    unknown = [a for a, s in states.items() if s == "unknown"]
    assert len(unknown) <= in_doubt_limit(rate)  # what the dead sender had marked sending
    assert max(per_recipient.values()) == 1  # nobody got a duplicate
    for address, state in states.items():
        if state != "unknown":
            assert state == "sent" and per_recipient[address] == 1, address
    assert sum(per_recipient.values()) == recipients - sum(1 for a in unknown if per_recipient[a] == 0)
