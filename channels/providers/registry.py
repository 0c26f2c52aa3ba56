"""Providers by stable key (``smtp``, ``anymail``, ``sms_webhook``, ``twilio``, ``fcm``, ``push_webhook``).

Each module registers one provider; a duplicate key is refused. Add a provider: a module with a
``Provider`` subclass decorated with ``@register``, imported in ``channels/providers/__init__.py``.
"""

from __future__ import annotations

from channels.providers.base import Provider

_REGISTRY: dict[str, Provider] = {}


def register(cls: type[Provider]) -> type[Provider]:
    if cls.key in _REGISTRY:
        raise ValueError(f"Provider {cls.key!r} is already registered")
    _REGISTRY[cls.key] = cls()
    return cls


def get(key: str) -> Provider | None:
    _load()
    return _REGISTRY.get(key)


def all_providers() -> dict[str, Provider]:
    _load()
    return dict(sorted(_REGISTRY.items()))


def choices(channel: str | None = None) -> list[tuple[str, str]]:
    return [(k, str(p.label)) for k, p in all_providers().items() if channel in (None, p.channel)]


def _load() -> None:
    import channels.providers.builtin  # noqa: F401
