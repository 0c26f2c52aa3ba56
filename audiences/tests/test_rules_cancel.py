"""Cancelling an interactive count (issue 4): a second request stops a running count by its token.

The count is made slow for real and deterministically: another session holds an ACCESS EXCLUSIVE lock
on the dimension's table, so the count's statement waits inside PostgreSQL until it is cancelled (a big
table would make the test's duration depend on the machine). On SQLite counts are not cancellable: the
documented behaviour is that the count answers and the cancel answers ``{"cancelled": false}``.
"""

from __future__ import annotations

import contextlib
import threading
import time

import psycopg
import pytest
from django.db import connection, transaction

from audiences.catalog.selectors import schema_table
from audiences.query import services
from audiences.tests.rules_fixtures import make_shop

AGE = {"type": "condition", "field": "age", "operator": "greater", "value": 40}
COUNT = "/api/v1/rules/count/"
CANCEL = "/api/v1/rules/count/cancel/"


@contextlib.contextmanager
def _table_locked(schema):
    """Another session (not Django's) holds an exclusive lock on the schema's table until the block ends."""
    table = schema_table(schema)
    quote = connection.ops.quote_name
    name = f"{quote(table.schema)}.{quote(table.name)}" if table.schema else quote(table.name)
    db = connection.settings_dict
    holder = psycopg.connect(
        dbname=db["NAME"], user=db["USER"] or None, host=db["HOST"] or None,
        port=db["PORT"] or None, password=db["PASSWORD"] or None,
    )  # fmt: skip
    try:
        holder.execute(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        holder.rollback()
        holder.close()


def _published_pid(token: str, timeout: float = 10.0) -> int:
    """The pid of the session running the count started with ``token``, once it waits on the lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted"
                " WHERE a.application_name LIKE %s",
                [f"oc-count:{token}:%"],
            )
            row = cursor.fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("the count never started waiting")


def _in_thread(target) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run():
        try:
            result["value"] = target()
        except Exception as error:  # handed to the test thread to assert on
            result["error"] = error
        finally:
            result["finished"] = time.monotonic()
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def _waiting(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_running_count_is_cancelled_through_the_api(administrator, api_as, viewer, approver):
    # given a count started with a token
    shop = make_shop(administrator)
    token = services.rule_count_token()
    body = {"dimension": shop["dimension"].pk, "rule": AGE, "token": token}
    want = sum(1 for c in shop["data"]["customer"] if c["age"] is not None and c["age"] > 40)
    if connection.vendor != "postgresql":
        # when / then (SQLite): the count answers, and there is nothing to cancel
        assert api_as(viewer).post(COUNT, body, format="json").json() == {"count": want}
        cancel = api_as(viewer).post(CANCEL, {"token": token}, format="json")
        assert cancel.status_code == 200 and cancel.json() == {"cancelled": False}
        return
    with _table_locked(shop["customer"]):
        thread, result = _in_thread(lambda: api_as(viewer).post(COUNT, body, format="json"))
        pid = _published_pid(token)
        # when another user tries, then the owner cancels
        foreign = api_as(approver).post(CANCEL, {"token": token}, format="json")
        assert foreign.status_code == 403 and _waiting(pid)
        asked = time.monotonic()
        cancel = api_as(viewer).post(CANCEL, {"token": token}, format="json")
        thread.join(10)
        # then the count answered 409 promptly, while the lock is still held: its session stopped waiting
        assert not thread.is_alive()
        assert not _waiting(pid)
    assert cancel.status_code == 200 and cancel.json() == {"cancelled": True}
    response = result["value"]
    assert response.status_code == 409, response.content
    assert result["finished"] - asked < 5
    # and the token is spent: a second cancel finds nothing, a new count answers normally
    assert api_as(viewer).post(CANCEL, {"token": token}, format="json").json() == {"cancelled": False}
    assert api_as(viewer).post(COUNT, body, format="json").json() == {"count": want}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_count_inside_an_outer_transaction_can_be_cancelled(administrator, viewer):
    # given a count run inside an outer transaction (nothing it writes is visible before its commit)
    shop = make_shop(administrator)
    token = services.rule_count_token()

    def count():
        with transaction.atomic():
            value = services.rule_count(actor=viewer, dimension=shop["dimension"], rule=AGE, token=token)
            if connection.vendor != "postgresql":
                return value, None
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('application_name', true)")
                return value, cursor.fetchone()[0]

    if connection.vendor != "postgresql":
        # when / then (SQLite): the count answers and cancelling reports nothing running
        assert count()[0] > 0
        assert services.rule_count_cancel(actor=viewer, token=token) is False
        return
    # when it finishes normally, then the token is no longer published in the still open transaction
    value, application_name = count()
    assert value > 0 and token not in (application_name or "")
    with _table_locked(shop["customer"]):
        thread, result = _in_thread(count)
        pid = _published_pid(token)
        # when it is cancelled from another session
        assert services.rule_count_cancel(actor=viewer, token=token) is True
        thread.join(10)
        # then it stops with "cancelled" (not "too slow") and no longer waits
        assert not thread.is_alive() and not _waiting(pid)
    assert isinstance(result.get("error"), services.RuleCountCancelled), result
