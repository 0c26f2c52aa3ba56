"""Reading an uploaded CSV file in fixed-size chunks, with the checks that must name a line.

The bytes are never all in memory: ``CheckedStream`` reads chunks of ``CHUNK_BYTES``, refuses NUL bytes
and text that is not UTF-8 (saying on which line), and counts what it read for progress. PostgreSQL gets
those chunks as they are (``COPY``); SQLite reads them through ``csv.reader``.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHUNK_BYTES = 1 << 20
CHANGE_COLUMN = "_change_request_type"
BOMS = {codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16", codecs.BOM_UTF32_LE: "UTF-32"}
# csv's default 128 KiB cell limit crashed a SQLite load on one big cell; the file size limit
# (OC_INGEST_MAX_BYTES) bounds cells instead, and a too-long value becomes a reject like any other.
csv.field_size_limit(sys.maxsize)


def file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


class CheckedStream(io.RawIOBase):
    """A binary file wrapper that fails on NUL bytes and invalid UTF-8, naming the line."""

    def __init__(self, raw, *, on_read: Callable[[int], None] | None = None):
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._lines = 1  # the line the next byte is on
        self._first = True
        self._on_read = on_read
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def read_chunk(self, size: int = CHUNK_BYTES) -> bytes:
        chunk = self._raw.read(size)
        if self._first:
            self._first = False
            for bom, name in BOMS.items():
                if chunk.startswith(bom):
                    raise file_error(
                        _("The file is %(encoding)s, not UTF-8: save it as UTF-8 (CSV UTF-8) and load again.")
                        % {"encoding": name}
                    )
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
        self.bytes_read += len(chunk)
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise file_error(
                _("Line %(line)d contains a NUL byte (\\0), which text cannot hold: remove it, load again.")
                % {"line": self._lines + chunk.count(b"\n", 0, nul)}
            )
        try:
            self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            raise file_error(
                _(
                    "The file is not UTF-8 (line %(line)d has the byte 0x%(byte)02x): save it as UTF-8 "
                    "(CSV UTF-8) and load it again."
                )
                % {
                    "line": self._lines + chunk.count(b"\n", 0, max(error.start, 0)),
                    "byte": (chunk[error.start : error.start + 1] or b"\0")[0],
                }
            ) from None
        self._lines += chunk.count(b"\n")
        if self._on_read:
            self._on_read(len(chunk))
        return chunk

    def readinto(self, buffer) -> int:
        chunk = self.read_chunk(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@dataclass(frozen=True)
class CsvHeader:
    columns: list[str]
    data_offset: int  # where the first data row starts, in bytes


def read_header(path: Path, max_bytes: int) -> CsvHeader:
    """The header row, after the size, emptiness and encoding checks that need no parsing."""
    with path.open("rb") as raw:
        return read_header_from(raw, path.stat().st_size, max_bytes)


def read_header_from(raw, size: int, max_bytes: int) -> CsvHeader:
    """``read_header`` on an open binary file (an upload not yet stored); reads at most 64 KB."""
    if size > max_bytes:
        raise file_error(
            _("The file has %(size)d bytes; the limit is %(limit)d (setting OC_INGEST_MAX_BYTES).")
            % {"size": size, "limit": max_bytes}
        )
    head = CheckedStream(raw).read_chunk(64 * 1024)
    if not head.strip():
        raise file_error(_("The file is empty: it needs a header row naming the columns."))
    line_end = head.find(b"\n")
    if line_end < 0 and len(head) == 64 * 1024:
        raise file_error(_("The header row is longer than 64 KB."))
    first = head if line_end < 0 else head[: line_end + 1]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise file_error(
            _("The file is not UTF-8: save it as UTF-8 (CSV UTF-8) and load it again.")
        ) from None
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) != 1 or not rows[0]:
        raise file_error(_("The header row is not valid CSV (a quoted name spans lines?)."))
    columns = [c.strip() for c in rows[0]]
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    return CsvHeader(columns, len(first) + bom)


def iter_data_rows(path: Path, header: CsvHeader, on_read=None) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for each data row: the header is row 1. Wrong column counts name the line."""
    with path.open("rb") as raw:
        stream = CheckedStream(raw, on_read=on_read)
        text = io.TextIOWrapper(io.BufferedReader(stream, CHUNK_BYTES), encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        width = len(header.columns)
        for number, row in enumerate(reader, start=1):
            if number == 1:
                continue
            row = row or [""]  # a blank line is one empty cell, as COPY reads it
            if len(row) != width:
                raise file_error(
                    _("Line %(line)d has %(found)d columns; the header has %(expected)d.")
                    % {"line": reader.line_num, "found": len(row), "expected": width}
                )
            yield number, row


def iter_chunks(path: Path, on_read=None) -> Iterator[bytes]:
    """The whole file (header included) as checked chunks, for ``COPY ... (FORMAT csv, HEADER)``."""
    with path.open("rb") as raw:
        stream = CheckedStream(raw, on_read=on_read)
        while chunk := stream.read_chunk():
            yield chunk
