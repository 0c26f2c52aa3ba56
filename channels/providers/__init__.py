"""Provider registry: one module per provider, a typed settings dataclass each (see registry.py)."""
