"""Backups of the database, safe while the service runs.

SQLite: the online backup API, page by page. PostgreSQL: ``pg_dump`` (custom format, a consistent
snapshot) and ``pg_restore`` in a single transaction; both client programs must be installed, in a
version at least the server's.
"""
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from carto.storage import freshness


class BackupError(ValueError):
    pass


def backup(engine: Engine, target: Path) -> Path:
    """Copy the live database to ``target``; readers and writers are not blocked."""
    if target.exists():
        raise BackupError(f"le fichier existe déjà : {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "postgresql":
        _pg_run(engine, "pg_dump", "--format=custom", "--no-owner", f"--file={target}")
        return target
    with sqlite3.connect(_sqlite_path(engine)) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def restore(engine: Engine, source: Path) -> None:
    """Replace the whole database content with a backup, in one step (indexes included)."""
    if not source.exists():
        raise BackupError(f"sauvegarde introuvable : {source}")
    if engine.dialect.name == "postgresql":
        _pg_restore(engine, source)
    else:
        _sqlite_restore(engine, source)
    with engine.begin() as conn:
        # Older counter values may come back with the backup: a new epoch keeps ETags unambiguous.
        if inspect(conn).has_table("dataversion"):  # else: a backup from before it, to be upgraded
            freshness.restart(conn)


def _sqlite_restore(engine: Engine, source: Path) -> None:
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"sauvegarde corrompue : {source}")
            engine.dispose()
            with sqlite3.connect(_sqlite_path(engine)) as dst:
                src.backup(dst)
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{source} n'est pas une base SQLite lisible ({e})") from None


def _sqlite_path(engine: Engine) -> str:
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise BackupError(f"sauvegarde intégrée indisponible pour la base {engine.dialect.name}")
    return engine.url.database


def _pg_restore(engine: Engine, source: Path) -> None:
    listing = subprocess.run([_pg_program("pg_restore"), "--list", str(source)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{source} n'est pas une sauvegarde pg_dump lisible ({listing.stderr.strip()})")
    # Extensions (PostGIS…) stay as installed: dropping them needs rights the service may not have.
    entries = [line for line in listing.stdout.splitlines() if " EXTENSION " not in line]
    engine.dispose()
    with tempfile.NamedTemporaryFile("w", suffix=".list") as use_list:
        use_list.write("\n".join(entries) + "\n")
        use_list.flush()
        # --clean drops then recreates every object of the archive; a single transaction leaves the
        # database as it was if anything fails.
        _pg_run(engine, "pg_restore", "--clean", "--if-exists", "--single-transaction", "--no-owner",
                "--exit-on-error", f"--use-list={use_list.name}", str(source))


def _pg_run(engine: Engine, program: str, *args: str) -> None:
    url = engine.url
    env = dict(os.environ, PGPASSWORD=url.password or os.environ.get("PGPASSWORD", ""))
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run([_pg_program(program), f"--dbname={conninfo}", *args],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BackupError(f"{program} a échoué : {done.stderr.strip()}")


def _pg_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"programme {name} introuvable (paquet postgresql-client)")
    return path
