"""Turn a configuration mistake into one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured


@contextmanager
def exit_on_configuration_error() -> Iterator[None]:
    try:
        yield
    except ImproperlyConfigured as error:
        sys.stderr.write(f"configuration error: {error}\n")
        raise SystemExit(2) from None
