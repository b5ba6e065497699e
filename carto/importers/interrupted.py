"""Imports that stopped without saying so: a killed process, a machine switched off.

A running import writes a heartbeat with each committed batch (seconds apart, see ``pipeline``).
A run still « running » whose heartbeat is older than ``SILENT_FOR`` is shown as interrupted, and is
closed as failed when the next import of its source starts: what its committed batches wrote
stays, as after any failure.
"""
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from carto.storage.models import ImportRun, ImportRunStatus, utcnow

SILENT_FOR = timedelta(minutes=10)
MESSAGE = "interrompu : plus aucun lot écrit après le dernier signe de vie"
LABEL = f"interrompu (aucun lot écrit depuis plus de {SILENT_FOR.seconds // 60} minutes)"


def is_interrupted(run: ImportRun, now: datetime | None = None) -> bool:
    if run.status != ImportRunStatus.running:
        return False
    last = run.heartbeat_at or run.started_at
    now = now or utcnow()
    if last.tzinfo is None:  # SQLite gives back naive UTC datetimes
        now = now.replace(tzinfo=None)
    return now - last > SILENT_FOR


def close_stale(session: Session, source: str) -> None:
    """Close the silent runs of ``source`` as failed, before a new run of it starts."""
    table = ImportRun.__table__
    limit = utcnow() - SILENT_FOR
    session.execute(update(table).where(
        table.c.source == source, table.c.status == ImportRunStatus.running,
        (table.c.heartbeat_at.is_(None) & (table.c.started_at < limit)) | (table.c.heartbeat_at < limit),
    ).values(status=ImportRunStatus.failed, error=MESSAGE, finished_at=utcnow()))
