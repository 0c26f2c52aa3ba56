"""Read the environment once, with clear errors for the settings we refuse to guess."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SUPPORTED_DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}


def database_url() -> str:
    """Return DATABASE_URL, defaulting to a SQLite file under var/, refusing unknown schemes."""
    default = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
    url = env.str("DATABASE_URL", default=default)
    scheme = urlsplit(url).scheme
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL has an unsupported scheme {scheme!r}: use sqlite:///path or postgres://user@host:port/name"
        )
    return url


def secret_key(*, debug: bool) -> str:
    """SECRET_KEY must come from the environment unless DEBUG is on."""
    value = env.str("SECRET_KEY", default="")
    if value:
        return value
    if debug:
        return "development-only-insecure-secret-key-do-not-use-in-production"
    raise ImproperlyConfigured("SECRET_KEY is not set: it is required when DEBUG is off")
