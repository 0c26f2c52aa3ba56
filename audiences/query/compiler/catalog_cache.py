"""One catalog snapshot per process, reused by every compile until the catalog changes.

Why: loading the catalog (four queries and an ``sa.Table`` per schema) took about 30 ms of a 38 ms
compile on the benchmark's catalog; the compile target is 5 ms. The catalog changes rarely (a modeller
adds a field or a link), rules are compiled all the time.

How a change is seen, exactly:
- in this process at once: ``post_save`` / ``post_delete`` of Schema, Field, Link and LinkKey drop the
  snapshot, and while the transaction that made the change is still open no snapshot is kept (it holds
  uncommitted names that a rollback would leave behind), so that transaction and every later one compile
  against what the database holds;
- in other processes (web workers, the task cluster): after the change commits, a version token in
  Django's cache (the shared database cache) is replaced; every compile reads the token (one small
  query, well under a millisecond) and reloads when it differs. A missing token (culled, cache cleared)
  also reloads.
Not covered: catalog rows changed by raw SQL or ``QuerySet.update()`` outside the catalog services, which
send no signal (the catalog services never do that); ``catalog_snapshot_reset()`` is there for them.
The signals are connected by ``connect()`` from ``AudiencesConfig.ready``, so a process that changes the
catalog always bumps the token, whether or not it ever compiles a rule.
"""

from __future__ import annotations

import contextlib
import threading
import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_delete, post_save

from audiences.query.compiler.catalog import CatalogSnapshot

VERSION_KEY = "oc:catalog-version"

_lock = threading.Lock()
_cached: tuple[str, CatalogSnapshot] | None = None
_cache_readable: bool | None = None  # None: not tried yet in this process
_local = threading.local()  # per thread, like Django's connections: ``pending`` on_commit callbacks


def _pending() -> list:
    """This thread's on_commit callbacks of catalog changes whose transaction may still be open."""
    if not hasattr(_local, "pending"):
        _local.pending = []
    return _local.pending


def _token() -> str | None:
    """The shared version token; None when the cache cannot be read (no cache table yet).

    The first read of a process runs in a savepoint: a missing cache table must not abort the
    caller's transaction on PostgreSQL. Without a readable token nothing is cached (always exact).
    """
    global _cache_readable
    if _cache_readable is False:
        return None
    try:
        if _cache_readable is None:
            with transaction.atomic():
                token = _read_token()
            _cache_readable = True
            return token
        return _read_token()
    except DatabaseError:
        _cache_readable = False
        return None


def _read_token() -> str | None:
    token = cache.get(VERSION_KEY)
    if token is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        token = cache.get(VERSION_KEY)
    return token


def _changes_pending() -> bool:
    """Whether this process changed the catalog in a transaction that is still open."""
    pending = _pending()
    if not pending:
        return False
    waiting = {id(entry[1]) for entry in connection.run_on_commit}
    pending[:] = [bump for bump in pending if id(bump) in waiting]  # rolled back or run: forget
    return bool(pending)


def catalog_snapshot() -> CatalogSnapshot:
    """The catalog as committed now (plus this transaction's own catalog changes, never cached)."""
    global _cached
    if _changes_pending():
        return CatalogSnapshot()
    token = _token()
    cached = _cached
    if token is not None and cached is not None and cached[0] == token:
        return cached[1]
    snapshot = CatalogSnapshot()
    if token is not None:
        with _lock:
            _cached = (token, snapshot)
    return snapshot


def catalog_snapshot_reset() -> None:
    """Forget the snapshot in this process and make every other process reload too."""
    global _cached
    with _lock:
        _cached = None
    with contextlib.suppress(DatabaseError):
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def _catalog_changed(sender, **kwargs) -> None:
    global _cached
    with _lock:
        _cached = None

    def bump() -> None:
        catalog_snapshot_reset()

    if connection.in_atomic_block:
        _pending().append(bump)
    transaction.on_commit(bump)


def connect() -> None:
    """Listen to catalog changes (called once from ``AudiencesConfig.ready``)."""
    from audiences.catalog.models import Field, Link, LinkKey, Schema

    for model in (Schema, Field, Link, LinkKey):
        uid = f"audiences.query.catalog_cache.{model.__name__}"
        post_save.connect(_catalog_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_catalog_changed, sender=model, dispatch_uid=f"{uid}.delete")
