"""Extension point: what other apps do when a targeting dimension is created.

Hooks run at the end of ``targeting_dimension_create``, inside its transaction: a hook that fails rolls
the dimension back with it (nothing half-written), and what a hook writes is committed with the
dimension. Later apps register a hook under a stable key in their ``AppConfig.ready()``::

    from audiences.catalog.hooks import dimension_created_hooks
    dimension_created_hooks.register("channels.retargeting", add_retargeting_links)

A hook is called with keyword arguments ``actor`` and ``dimension`` and returns nothing. Duplicate keys
are refused, so two apps cannot silently replace each other.
"""

from __future__ import annotations

from collections.abc import Callable

DimensionHook = Callable[..., None]


class HookRegistry:
    """Hooks by stable key, called in registration order."""

    def __init__(self, event: str):
        self.event = event
        self._hooks: dict[str, DimensionHook] = {}

    def register(self, key: str, hook: DimensionHook) -> DimensionHook:
        if key in self._hooks:
            raise ValueError(f"A {self.event} hook {key!r} is already registered")
        self._hooks[key] = hook
        return hook

    def unregister(self, key: str) -> None:
        self._hooks.pop(key, None)

    def keys(self) -> list[str]:
        return list(self._hooks)

    def run(self, **kwargs) -> None:
        for hook in list(self._hooks.values()):
            hook(**kwargs)


dimension_created_hooks = HookRegistry("dimension created")
