"""``python manage.py ingest <schema> <file> [--mapping col=field ...] [--max-rejects N]``."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audiences.catalog.models import Schema
from audiences.ingestion.models import IngestionStatus
from audiences.ingestion.services import ingestion_run_create_local, ingestion_run_execute


class Command(BaseCommand):
    help = "Load a CSV file into a managed schema (one ingestion run, with a progress bar)."

    def add_arguments(self, parser):
        parser.add_argument("schema")
        parser.add_argument("file", type=Path)
        parser.add_argument("--mapping", nargs="*", default=[], metavar="COLUMN=FIELD")
        parser.add_argument("--max-rejects", type=int, default=None, help="Accept up to N rejected rows.")
        parser.add_argument(
            "--user", default=None, help="Acting administrator (default: the first superuser)."
        )

    def handle(self, *args, schema, file, mapping, max_rejects, user, verbosity=1, **options):
        target = Schema.objects.filter(name=schema).first()
        if target is None:
            raise CommandError(f"Unknown schema {schema!r}")
        if not file.is_file():
            raise CommandError(f"No file {file}")
        actor = self._actor(user)
        pairs = dict(m.split("=", 1) for m in mapping if "=" in m)
        try:
            run = ingestion_run_create_local(
                actor=actor, schema=target, path=file, mapping=pairs, max_rejects=max_rejects
            )
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
        with tqdm(total=file.stat().st_size, unit="B", unit_scale=True, disable=verbosity < 1) as bar:
            run = ingestion_run_execute(run_id=run.pk, path=file, on_progress=bar.update)
        counts = ", ".join(
            f"{k} {getattr(run, k)}" for k in ("inserted", "updated", "deleted", "skipped", "rejected")
        )
        for reject in run.rejects.all()[:20]:
            self.stderr.write(f"row {reject.row_number} {reject.column} {reject.value!r}: {reject.reason}")
        if run.status != IngestionStatus.SUCCEEDED:
            raise CommandError(f"run {run.pk} failed: {run.error} ({counts})")
        self.stdout.write(self.style.SUCCESS(f"run {run.pk}: {counts}"))

    def _actor(self, username):
        users = get_user_model().objects.filter(is_active=True)
        actor = (
            users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        )
        if actor is None:
            raise CommandError("No acting user: pass --user with an administrator's username.")
        return actor
