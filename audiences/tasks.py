"""django-q2 entry points of the audiences app: each takes ids and calls one service."""

from __future__ import annotations


def ingestion_run_execute(run_id: int) -> None:
    from audiences.ingestion.services import ingestion_run_execute as execute

    execute(run_id=run_id)
