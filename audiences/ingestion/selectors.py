"""Reads of ingestion runs, through ``restrict()`` like every read."""

from __future__ import annotations

import io
from collections.abc import Iterator

from django.db.models import QuerySet

from accounts.permissions import can_preview_personal_data, restrict
from api.csv_export import safe_writer
from audiences.ingestion.models import IngestionReject, IngestionRun

REJECT_COLUMNS = ("row", "column", "value", "reason")
# What a reader without the personal-data preview permission sees instead of a personal field's value.
MASK = "•••"


def ingestion_run_list(*, actor) -> QuerySet[IngestionRun]:
    return restrict(actor, "view", IngestionRun.objects.select_related("schema", "created_by"))


def ingestion_run_get(*, actor, run_id: int) -> IngestionRun:
    return ingestion_run_list(actor=actor).get(pk=run_id)


def reject_value_masker(*, actor, run: IngestionRun):
    """A function (column, value) -> value as ``actor`` may read it: the values of the schema's personal
    fields (a duplicate-key reject names several key fields: any personal one) are masked for a reader
    without the personal-data preview permission, on every surface (run detail, API, rejects CSV)."""
    if can_preview_personal_data(actor):
        return lambda column, value: value
    personal = set(run.schema.fields.filter(is_personal=True).values_list("name", flat=True))

    def mask(column: str, value: str) -> str:
        names = {name.strip() for name in (column or "").split(",")}
        return MASK if value and (names & personal) else value

    return mask


def ingestion_reject_list(*, actor, run: IngestionRun, limit: int) -> list[dict]:
    """The run's first ``limit`` rejects as (row, column, value, reason) dicts, masked for ``actor``."""
    mask = reject_value_masker(actor=actor, run=run)
    rejects = IngestionReject.objects.filter(run=run).order_by("row_number", "id")[:limit]
    return [
        {"row": r.row_number, "column": r.column, "value": mask(r.column, r.value), "reason": r.reason}
        for r in rejects
    ]


def ingestion_rejects_csv(run: IngestionRun, *, actor) -> Iterator[str]:
    """The run's rejected values as CSV lines (row, column, value, reason), header first; streamed.

    Personal fields' values are masked for ``actor`` without the preview permission."""
    mask = reject_value_masker(actor=actor, run=run)
    buffer = io.StringIO()
    writer = safe_writer(buffer)  # formula cells neutralized (issue 12 §6)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(REJECT_COLUMNS)
    rejects = IngestionReject.objects.filter(run=run).order_by("row_number", "id")
    for row, column, value, reason in rejects.values_list("row_number", "column", "value", "reason").iterator(
        chunk_size=2000
    ):
        yield line((row, column, mask(column, value), reason))
