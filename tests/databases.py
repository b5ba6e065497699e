"""Test databases on the backend the run is for: SQLite files (default) or PostgreSQL + PostGIS.

``CARTO_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/carto_test`` runs the suite
on PostgreSQL (see ``scripts/pg-test-cluster.sh``): the reference databases are built once, then
every test gets ``CREATE DATABASE … TEMPLATE reference`` (made ahead, while the previous test runs),
dropped after it. The role needs the
CREATEDB privilege and PostGIS must be installed on the server.
"""
import itertools
import os
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from carto.storage.db import normalize_url

TEST_DATABASE_URL = os.environ.get("CARTO_TEST_DATABASE_URL") or None


class SqliteDatabases:
    """Each database a file; copies through the online backup API."""
    backend = "sqlite"

    def new(self, directory: Path, name: str) -> str:
        return f"sqlite:///{directory / f'{name}.db'}"

    def copy(self, source: str, directory: Path, name: str) -> str:
        target = directory / f"{name}.db"
        with sqlite3.connect(_sqlite_path(source)) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        """Files stay in pytest's temporary directories, which pytest prunes."""

    def close(self) -> None:
        pass


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


class PostgresDatabases:
    """Databases of one server, named after this process so that parallel runs do not collide."""
    backend = "postgresql"

    def __init__(self, url: str):
        self.url: URL = normalize_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.prefix = f"carto_t{os.getpid()}_"
        self.counter = itertools.count()
        self.created: set[str] = set()
        # The next copy of each template is made while the current test runs (a copy takes ~0.3 s).
        self.background = ThreadPoolExecutor(max_workers=1)
        self.ready: dict[str, Future] = {}

    def _name(self, name: str) -> str:
        return f"{self.prefix}{name}_{next(self.counter)}"

    def _create(self, name: str, template: str | None = None) -> str:
        # FILE_COPY: a copy of the template's files, much faster than WAL-logging every page.
        clause = f' TEMPLATE "{template}" STRATEGY = FILE_COPY' if template else ""
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
        self.created.add(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def new(self, directory: Path, name: str) -> str:
        return self._create(self._name(name))

    def copy(self, source: str, directory: Path, name: str) -> str:
        template = normalize_url(source).database
        ahead = self.ready.pop(template, None)
        url = ahead.result() if ahead else self._create(self._name(name), template)
        self.ready[template] = self.background.submit(self._create, self._name(name), template)
        return url

    def drop(self, url: str) -> None:
        name = normalize_url(url).database
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.discard(name)

    def close(self) -> None:
        self.background.shutdown(wait=True)
        for name in sorted(self.created):
            self.drop(self.url.set(database=name).render_as_string(hide_password=False))
        self.admin.dispose()


def open_databases() -> SqliteDatabases | PostgresDatabases:
    return PostgresDatabases(TEST_DATABASE_URL) if TEST_DATABASE_URL else SqliteDatabases()
