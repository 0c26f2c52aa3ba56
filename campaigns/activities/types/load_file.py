"""Load file: a CSV file's rows into a working table with typed columns and a reject policy.

The file's rows are the one thing that must pass through Python (it is reading a file); they are
inserted in batches and the population then stays in the database. Files are read from
``settings.OC_CAMPAIGN_FILES_DIR`` by plain name only.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audiences.catalog import database
from campaigns.activities.base import FILE, ActivityType, Outcome
from campaigns.activities.registry import register
from campaigns.engine import worktables
from campaigns.engine.context import SA_TYPES, column_meta

FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
LINE = "line"
BATCH = 1000


@dataclass
class FileColumn:
    name: str
    type: Literal["string", "integer", "bigint", "float", "boolean", "date", "datetime"] = "string"
    required: bool = False
    # Personal data until the user says otherwise: a file's content is unknown to the platform, so
    # previews mask the column for profiles without the personal-data permission.
    personal: bool = True


@dataclass
class LoadFileConfig:
    file: str
    columns: list[FileColumn] = field(default_factory=list)
    delimiter: str = ","
    header: bool = True
    on_reject: Literal["skip", "fail"] = "skip"


def files_dir() -> Path:
    return Path(
        getattr(settings, "OC_CAMPAIGN_FILES_DIR", Path(settings.BASE_DIR) / "var" / "campaign-files")
    )


def _convert(text: str, type_key: str):
    if type_key in ("integer", "bigint"):
        return int(text)
    if type_key == "float":
        return float(text)
    if type_key == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(text)
        return lowered in ("true", "1", "yes")
    if type_key == "date":
        value = parse_date(text)
    elif type_key == "datetime":
        value = parse_datetime(text)
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
    else:
        return text.replace("\x00", "")
    if value is None:
        raise ValueError(text)
    return value


@register
class LoadFile(ActivityType):
    """Brings an external list (e.g. a partner's file) into the campaign; Reconciliation links it."""

    key = "targeting.load_file"
    label = _("Load file")
    description = _(
        "Brings an external list (e.g. a partner's file) into the campaign; Reconciliation links it."
    )
    Config = LoadFileConfig
    min_inputs = 0
    max_inputs = 0

    def validate(self, config, node):
        errors = []
        if not FILE_NAME.match(config.file) or ".." in config.file:
            errors.append(("file", _("Give a plain file name from the campaign files folder.")))
        names = [c.name for c in config.columns]
        if (
            not names
            or len(set(names)) != len(names)
            or any(not n.isidentifier() or n == LINE for n in names)
        ):
            errors.append(("columns", _("Declare distinct column names (letters, digits, underscores).")))
        if len(config.delimiter) != 1:
            errors.append(("delimiter", _("One character.")))
        return errors

    def output_dimension(self, config, node):
        return FILE

    def execute(self, ctx, inputs, config):
        transition = ctx.wired.get("out")
        if transition is None:
            return Outcome()
        name = worktables.working_table_name(ctx.run.pk, transition.pk)
        worktables.drop(name)
        table = sa.Table(
            name,
            sa.MetaData(),
            sa.Column(LINE, sa.BigInteger, primary_key=True),
            *(sa.Column(c.name, SA_TYPES[c.type]()) for c in config.columns),
        )
        database.execute(sa.schema.CreateTable(table))
        rejects, batch = [], []
        with (files_dir() / config.file).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=config.delimiter)
            for number, row in enumerate(reader, start=1):
                if config.header and number == 1:
                    continue
                try:
                    batch.append(self._row(config, number, row))
                except ValueError:
                    rejects.append(number)
                    if config.on_reject == "fail":
                        raise ValueError(
                            gettext("Line %(n)s of the file is invalid.") % {"n": number}
                        ) from None
                if len(batch) >= BATCH:
                    database.execute(sa.insert(table).values(batch))
                    batch = []
        if batch:
            database.execute(sa.insert(table).values(batch))
        columns = [
            column_meta(LINE, "bigint"),
            *(column_meta(c.name, c.type, c.personal) for c in config.columns),
        ]
        ctx.adopt("out", name, dimension=None, key_columns=[LINE], columns=columns)
        message = gettext("%(n)s lines rejected.") % {"n": len(rejects)} if rejects else ""
        return Outcome(message=message)

    def _row(self, config, number, row) -> dict:
        if len(row) != len(config.columns):
            raise ValueError("column count")
        values = {LINE: number}
        for column, text in zip(config.columns, row, strict=True):
            if text == "":
                if column.required:
                    raise ValueError("required")
                values[column.name] = None
            else:
                values[column.name] = _convert(text, column.type)
        return values
