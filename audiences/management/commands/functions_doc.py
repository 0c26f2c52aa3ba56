"""Regenerate docs/functions.md from the function registry (or, with --check, fail if it is stale)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audiences.query.functions.docs import render_markdown

DOC_PATH = Path(settings.BASE_DIR) / "docs" / "functions.md"


class Command(BaseCommand):
    help = "Write docs/functions.md from the expression function registry."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if the committed file is out of date.")

    def handle(self, *args, check=False, **options):
        text = render_markdown()
        if check:
            if not DOC_PATH.exists() or DOC_PATH.read_text() != text:
                raise CommandError("docs/functions.md is out of date: run manage.py functions_doc")
            self.stdout.write("docs/functions.md is up to date")
            return
        DOC_PATH.write_text(text)
        self.stdout.write(f"wrote {DOC_PATH}")
