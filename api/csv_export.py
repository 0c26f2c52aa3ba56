"""Every CSV the platform exports goes through here (issue 12 §6): a cell that a spreadsheet would run
as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
leading ``'``, so opening an export cannot run what a contact, a file or a provider put in a value.
Numbers stay numbers: only text is neutralized (``-3`` the integer is written as is)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a ``'`` in front when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows are neutralized cell by cell; same ``writerow`` / ``writerows``."""

    def __init__(self, target, **options):
        self._writer = csv.writer(target, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_writer(target, **options) -> SafeWriter:
    """The one way to write CSV for a user: use it instead of ``csv.writer``."""
    return SafeWriter(target, **options)


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Rows as neutralized CSV lines, one string each: for streamed responses."""
    buffer = io.StringIO()
    writer = safe_writer(buffer)
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()
