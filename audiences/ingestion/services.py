"""Writes of ingestion: start a run, execute it, upsert a batch of JSON records.

A run is executed in three steps on one connection: claim it (commit), stage the file (its own short
transactions, progress visible in the admin), then check and merge in ONE transaction. Whatever goes
wrong in the last step rolls the table back; the run then records why, with its rejected values.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can_model
from audiences.catalog.models import Schema
from audiences.ingestion import fastpath, loader, statistics
from audiences.ingestion.models import (
    IngestionOrigin,
    IngestionReject,
    IngestionRun,
    IngestionSource,
    IngestionStatus,
)
from audiences.ingestion.source import CHANGE_COLUMN, read_header, read_header_from
from audiences.ingestion.staging import Staging
from jobs.queue import enqueue_on_commit

TASK = "audiences.tasks.ingestion_run_execute"
PROGRESS_EVERY_SECONDS = 0.5


def require_loader(actor) -> None:
    if not can_model(actor, "add", IngestionRun):
        raise PermissionDenied(_("Only an Administrator may load data."))


def _check_mapping(mapping) -> dict[str, str]:
    if mapping in (None, ""):
        return {}
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise ValidationError({"mapping": _("A mapping is an object of CSV column -> field name.")})
    return mapping


def _check_max_rejects(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError({"max_rejects": _("A whole number, 0 or more (empty: all or nothing).")})
    return value


def ingestion_run_check_file(*, schema: Schema, path: Path, mapping: dict | None) -> loader.LoadPlan:
    """The checks a file passes before it is queued: size, encoding of the header, column mapping."""
    header = read_header(path, settings.OC_INGEST_MAX_BYTES)
    return loader.plan_for(schema, header.columns, _check_mapping(mapping))


def ingestion_upload_check(*, schema: Schema, upload, mapping: dict | None) -> loader.LoadPlan:
    """The same checks on an upload before it is stored (the admin form's ``clean`` calls it)."""
    if upload is None:
        raise ValidationError({"file": _("Upload a CSV file.")})
    upload.seek(0)
    try:
        header = read_header_from(upload, upload.size, settings.OC_INGEST_MAX_BYTES)
    finally:
        upload.seek(0)
    return loader.plan_for(schema, header.columns, _check_mapping(mapping))


@transaction.atomic
def ingestion_run_start(
    *,
    actor,
    schema: Schema,
    upload,
    mapping: dict | None = None,
    max_rejects: int | None = None,
    origin: str = IngestionOrigin.API,
) -> IngestionRun:
    """Store an uploaded CSV file under MEDIA_ROOT, create its run, and queue it once this commits."""
    require_loader(actor)
    mapping, max_rejects = _check_mapping(mapping), _check_max_rejects(max_rejects)
    ingestion_upload_check(schema=schema, upload=upload, mapping=mapping)
    run = IngestionRun(
        schema=schema,
        source=IngestionSource.CSV,
        origin=origin,
        mapping=mapping,
        max_rejects=max_rejects,
        file_name=str(getattr(upload, "name", ""))[:255],
        file_size=upload.size,
        created_by=actor,
    )
    run.full_clean(exclude=["file"])
    run.file.save(Path(run.file_name or "upload.csv").name, upload, save=False)
    run.save()
    enqueue_on_commit(TASK, run.pk)
    return run


@transaction.atomic
def ingestion_run_create_local(
    *, actor, schema: Schema, path: Path, mapping: dict | None = None, max_rejects: int | None = None
) -> IngestionRun:
    """A run for a file already on this machine (the ``ingest`` command): not copied, executed in place."""
    require_loader(actor)
    mapping, max_rejects = _check_mapping(mapping), _check_max_rejects(max_rejects)
    ingestion_run_check_file(schema=schema, path=path, mapping=mapping)
    run = IngestionRun(
        schema=schema,
        source=IngestionSource.CSV,
        origin=IngestionOrigin.COMMAND,
        mapping=mapping,
        max_rejects=max_rejects,
        file_name=str(path)[:255],
        file_size=path.stat().st_size,
        created_by=actor,
    )
    run.full_clean()
    run.save()
    return run


def _claim(run_id: int) -> IngestionRun | None:
    """Queued -> running, once: a re-delivered task finds the run taken and does nothing."""
    with transaction.atomic():
        run = IngestionRun.objects.select_for_update().select_related("schema").filter(pk=run_id).first()
        if run is None:
            return None
        stale = timezone.now() - timedelta(seconds=settings.Q_TASK_TIMEOUT + 60)
        if run.status == IngestionStatus.RUNNING and run.started_at and run.started_at < stale:
            pass  # its worker died mid-way; nothing of it was written, so run it again
        elif run.status != IngestionStatus.QUEUED:
            return None
        run.status, run.started_at, run.error = IngestionStatus.RUNNING, timezone.now(), ""
        run.save(update_fields=["status", "started_at", "error"])
        return run


class _Progress:
    """Bytes read so far, written to the run at most twice a second where others can see them.

    PostgreSQL streams the whole file in one COPY statement, so progress goes through a second
    connection; SQLite writes it on the same connection between batches.
    """

    def __init__(self, run: IngestionRun, callback: Callable[[int], None] | None):
        self.run, self.callback, self.total, self._last, self._side = run, callback, 0, 0.0, None
        self._pass = 0

    def restart(self) -> None:
        """The file is read again from its start."""
        self._pass = 0

    def __call__(self, size: int) -> None:
        # A load may read its file twice (PostgreSQL's fast path screens it, then the detailed path
        # stages it): only bytes beyond those already reported count, so progress never passes 100%.
        self._pass += size
        size = self._pass - self.total
        if size <= 0:
            return
        self.total += size
        if self.callback:
            self.callback(size)
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_SECONDS:
            self._last = now
            self._write(processed_bytes=self.total)

    def _write(self, **values) -> None:
        runs = sa.table(IngestionRun._meta.db_table, *(sa.column(k) for k in ("id", *values)))
        statement = sa.update(runs).where(runs.c.id == self.run.pk).values(**values)
        from audiences.catalog.database import compile_statement

        sql, params = compile_statement(statement)
        if connection.vendor == "postgresql":
            if self._side is None:
                self._side = connections.create_connection("default")
            with self._side.cursor() as cursor:
                cursor.execute(sql, params)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()


def _finish(run: IngestionRun, result: loader.LoadResult | None, error: str = "") -> IngestionRun:
    if result is not None and not error:
        _log(run, statistics.analyze_after_load(run.schema, result))
    with transaction.atomic():
        if result is not None:
            for key, value in result.counts().items():
                if key != "rows":
                    setattr(run, key, value)
            run.processed_rows = result.rows
            IngestionReject.objects.filter(run=run).delete()
            IngestionReject.objects.bulk_create(
                IngestionReject(
                    run=run, row_number=r.row_number, column=r.column[:255], value=r.value, reason=r.reason
                )
                for r in result.rejects
            )
        failed = bool(error)
        run.status = IngestionStatus.FAILED if failed else IngestionStatus.SUCCEEDED
        run.error, run.finished_at = error, timezone.now()
        run.save()
    return run


def _log(run: IngestionRun, line: str) -> None:
    """One line in the run's log (saved with the run)."""
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
    run.log = f"{run.log}{stamp} {line}\n"


def _rejected_message(result: loader.LoadResult, max_rejects: int | None) -> str:
    if max_rejects is None:
        return _("%(n)d row(s) rejected; nothing was loaded (all or nothing).") % {"n": result.rejected}
    return _("%(n)d row(s) rejected, more than the %(max)d accepted; nothing was loaded.") % {
        "n": result.rejected,
        "max": max_rejects,
    }


def _execute(
    run: IngestionRun,
    staging_fill: Callable[[Staging], int],
    width: int,
    first_row: int,
    fast: Callable[[], loader.LoadResult | None] | None = None,
) -> IngestionRun:
    """``fast``: PostgreSQL's fast path for a clean file; None when it leaves the load to the checks."""
    plan = None
    try:
        if fast is not None and (result := fast()) is not None:
            return _finish(run, result)
        with Staging(width, first_row=first_row) as staging:
            plan = staging_fill(staging)
            with transaction.atomic():
                result = loader.load_staged(plan, staging, max_rejects=run.max_rejects)
    except loader.RejectedLoad as rejected:
        return _finish(run, rejected.result, _rejected_message(rejected.result, run.max_rejects))
    except ValidationError as error:
        messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        text = " ".join(" ".join(m) for m in messages.values())
        return _finish(run, None, text)
    return _finish(run, result)


def ingestion_run_execute(*, run_id: int, path: Path | None = None, on_progress=None) -> IngestionRun | None:
    """Execute a queued CSV run (the task, or the command with a local ``path``). Idempotent."""
    run = _claim(run_id)
    if run is None:
        return None
    path = path or Path(run.file.path)
    progress = _Progress(run, on_progress)
    try:
        header = read_header(path, settings.OC_INGEST_MAX_BYTES)
    except ValidationError as error:
        return _finish(run, None, " ".join(error.messages))

    def fill(staging: Staging) -> loader.LoadPlan:
        plan = loader.plan_for(run.schema, header.columns, run.mapping)
        progress.restart()
        staging.copy_csv(path, on_read=progress)
        return plan

    def fast() -> loader.LoadResult | None:
        plan = loader.plan_for(run.schema, header.columns, run.mapping)
        return fastpath.try_load(plan, path, on_read=progress)

    try:
        return _execute(
            run, fill, len(header.columns), 2, fast=fast if connection.vendor == "postgresql" else None
        )
    finally:
        progress.close()


# --- JSON records ---------------------------------------------------------------------------------------
def _as_text(value, path: str, errors: dict) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        if "\x00" in value:
            errors[path] = _("Contains a NUL byte (\\0), which text cannot hold.")
        return value
    errors[path] = _("A value is a string, a number, true/false or null.")
    return None


def records_upsert(*, actor, schema: Schema, records, max_rejects: int | None = None) -> IngestionRun:
    """Load a batch of JSON records (same semantics as a CSV file), synchronously. Returns the run,
    succeeded or failed with its rejects; the schema's table changes only if it succeeded.
    """
    require_loader(actor)
    max_rejects = _check_max_rejects(max_rejects)
    limit = settings.OC_INGEST_JSON_MAX_RECORDS
    if not isinstance(records, list) or not records:
        raise ValidationError({"records": _("A non-empty list of objects.")})
    if len(records) > limit:
        raise ValidationError(
            {
                "records": _("At most %(n)d records per call (setting OC_INGEST_JSON_MAX_RECORDS).")
                % {"n": limit}
            }
        )
    columns: dict[str, None] = {}
    errors: dict[str, str] = {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            errors[f"records.{index}"] = _("A record is an object of field -> value.")
            continue
        columns.update(dict.fromkeys(record))
    order = [f.name for f in schema.fields.order_by("position", "id")] + [CHANGE_COLUMN]
    header = sorted(columns, key=lambda c: order.index(c) if c in order else len(order))
    plan = loader.plan_for(schema, header, key="records")
    rows = []
    for index, record in enumerate(records, start=1):
        if isinstance(record, dict):
            rows.append(
                (index, *(_as_text(record.get(c), f"records.{index - 1}.{c}", errors) for c in header))
            )
    if errors:
        raise ValidationError(errors)
    run = IngestionRun.objects.create(
        schema=schema,
        source=IngestionSource.JSON,
        origin=IngestionOrigin.API,
        max_rejects=max_rejects,
        status=IngestionStatus.QUEUED,
        created_by=actor,
    )
    run = _claim(run.pk)

    def fill(staging: Staging) -> loader.LoadPlan:
        staging.insert_rows(rows)
        staging.analyze()
        return plan

    return _execute(run, fill, len(header), first_row=1)
