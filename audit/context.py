"""Who is acting, for history rows written outside a request (services called from tasks, commands,
tests). Inside a request simple-history's middleware already knows the user."""

from __future__ import annotations

import contextlib
import threading

_local = threading.local()


@contextlib.contextmanager
def acting(actor):
    """Attribute the history rows written inside the block to ``actor``."""
    previous = getattr(_local, "actor", None)
    _local.actor = actor
    try:
        yield
    finally:
        _local.actor = previous


def current_actor():
    return getattr(_local, "actor", None)


def history_user(instance=None, request=None, **kwargs):
    """simple-history's ``get_user``: the acting user set by ``acting()``, else the request's user."""
    actor = current_actor()
    if actor is not None and getattr(actor, "pk", None):
        return actor
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None
