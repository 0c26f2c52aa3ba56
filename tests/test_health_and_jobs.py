"""/healthz and the job queue, with a real broker and a real django-q2 cluster."""

from __future__ import annotations

import os
import time

import pytest
import redis
from django.db import connections, transaction
from django_q.brokers.redis_broker import Redis as RedisBroker

from config.health import broker_check
from jobs.queue import enqueue_on_commit

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"] == {"ok": True, "kind": "ORM", "queued": 0}


def test_broker_check_with_a_real_redis():
    broker = RedisBroker(list_key="oc-health-test")
    broker.connection = redis.Redis.from_url(REDIS_URL)
    assert broker_check(broker)["ok"] is True


def test_broker_check_reports_an_unreachable_redis():
    broker = RedisBroker(list_key="oc-health-test")
    broker.connection = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    assert broker_check(broker)["ok"] is False


def test_job_arguments_must_be_ids():
    with pytest.raises(TypeError):
        enqueue_on_commit("math.floor", {"a": "dict"})


@pytest.mark.django_db
def test_a_rolled_back_transaction_enqueues_nothing(django_capture_on_commit_callbacks):
    from django_q.models import OrmQ

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue_on_commit("math.floor", 1, sync=False)
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not OrmQ.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_cluster_runs_an_enqueued_job(monkeypatch):
    from django_q.brokers import get_broker
    from django_q.cluster import Cluster
    from django_q.conf import Conf
    from django_q.tasks import async_task, result

    monkeypatch.setattr(Conf, "SYNC", False)  # tests default to in-process jobs; this one needs workers

    # given: a job queued on the ORM broker, not run in-process
    task_id = async_task("math.floor", 7.5, sync=False)
    connections.close_all()  # forked workers must open their own connections, not share ours
    cluster = Cluster(get_broker())
    cluster.start()
    try:
        # when / then: a forked worker picks it up and stores its result
        deadline = time.monotonic() + 60
        value = None
        while value is None and time.monotonic() < deadline:
            time.sleep(0.5)
            value = result(task_id)
        assert value == 7
    finally:
        cluster.stop()
