"""Reads of ingestion runs, through ``restrict()`` like every read."""

from __future__ import annotations

import io
from collections.abc import Iterator

from django.db.models import QuerySet

from accounts.permissions import restrict
from api.csv_export import safe_writer
from audiences.ingestion.models import IngestionReject, IngestionRun

REJECT_COLUMNS = ("row", "column", "value", "reason")


def ingestion_run_list(*, actor) -> QuerySet[IngestionRun]:
    return restrict(actor, "view", IngestionRun.objects.select_related("schema", "created_by"))


def ingestion_run_get(*, actor, run_id: int) -> IngestionRun:
    return ingestion_run_list(actor=actor).get(pk=run_id)


def ingestion_rejects_csv(run: IngestionRun) -> Iterator[str]:
    """The run's rejected values as CSV lines (row, column, value, reason), header first; streamed."""
    buffer = io.StringIO()
    writer = safe_writer(buffer)  # formula cells neutralized (issue 12 §6)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(REJECT_COLUMNS)
    rejects = IngestionReject.objects.filter(run=run).order_by("row_number", "id")
    for reject in rejects.values_list("row_number", "column", "value", "reason").iterator(chunk_size=2000):
        yield line(reject)
