"""Domain exceptions of the campaigns app (the API maps them to HTTP answers)."""


class StaleGraph(Exception):
    """A graph write based on an older version than the stored one (HTTP 409)."""
