"""The activity type registry: stable string keys -> ActivityType instances.

Types register themselves when their module is imported (``campaigns.activities`` imports them all).
A duplicate key is a programming error and is refused loudly.
"""

from __future__ import annotations

from campaigns.activities.base import ActivityType

_REGISTRY: dict[str, ActivityType] = {}


class DuplicateActivityType(ValueError):
    pass


def register(cls: type[ActivityType]) -> type[ActivityType]:
    """Class decorator: register one instance of ``cls`` under ``cls.key``."""
    if cls.key in _REGISTRY:
        raise DuplicateActivityType(f"Activity type {cls.key!r} is already registered")
    _REGISTRY[cls.key] = cls()
    return cls


def unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def get(key: str) -> ActivityType | None:
    _load()
    return _REGISTRY.get(key)


def all_types() -> dict[str, ActivityType]:
    _load()
    return dict(sorted(_REGISTRY.items()))


def is_channel_placeholder(key: str) -> bool:
    """An unregistered ``channel.*`` type: until the channels issue, a test run pauses there."""
    return key.startswith("channel.") and get(key) is None


def _load() -> None:
    import campaigns.activities.types  # noqa: F401 - registers every built-in type
