"""Backups of the embedded SQLite database, safe while the service runs (online backup API)."""
import sqlite3
from pathlib import Path

from sqlalchemy.engine import Engine



class BackupError(ValueError):
    pass


def _sqlite_path(engine: Engine) -> str:
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise BackupError("sauvegarde intégrée disponible pour SQLite seulement (PostgreSQL : pg_dump)")
    return engine.url.database


def backup(engine: Engine, target: Path) -> Path:
    """Copy the live database to ``target`` page by page; readers and writers are not blocked."""
    if target.exists():
        raise BackupError(f"le fichier existe déjà : {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(_sqlite_path(engine)) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def restore(engine: Engine, source: Path) -> None:
    """Replace the whole database content with a backup, in one step (indexes included)."""
    if not source.exists():
        raise BackupError(f"sauvegarde introuvable : {source}")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"sauvegarde corrompue : {source}")
            engine.dispose()
            with sqlite3.connect(_sqlite_path(engine)) as dst:
                src.backup(dst)
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{source} n'est pas une base SQLite lisible ({e})") from None
