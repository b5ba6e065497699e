"""Shared fixtures: databases with the reference geography of Brittany, built once per run.

``reference_db`` has territories and pôles, ``demo_db`` adds the 500 demonstration sites; each test
gets its own copy (SQLite backup API), so tests may write freely.
"""
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session

from carto import bootstrap
from carto.context import Carto
from carto.settings import SHARED_GEODATA, Settings

GEODATA = SHARED_GEODATA


def settings_for(db: Path, **overrides) -> Settings:
    return Settings(database_url=f"sqlite:///{db}", geodata=GEODATA, tiles="blank", **overrides)


def copy_db(source: Path, target: Path) -> Path:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


@pytest.fixture(scope="session")
def reference_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "reference.db"
    carto = Carto.open(settings_for(path))
    bootstrap.load_territories(carto)
    bootstrap.load_poles(carto, GEODATA / "poles_ess_bretagne.csv")
    carto.engine.dispose()
    return path


@pytest.fixture(scope="session")
def demo_db(reference_db, tmp_path_factory) -> Path:
    path = copy_db(reference_db, tmp_path_factory.mktemp("demo") / "demo.db")
    carto = Carto.open(settings_for(path))
    bootstrap.setup_demo(carto, 500)
    carto.engine.dispose()
    return path


def _open(source: Path, tmp_path: Path) -> Carto:
    return Carto.open(settings_for(copy_db(source, tmp_path / "test.db")))


@pytest.fixture
def carto(reference_db, tmp_path) -> Carto:
    """Territories and pôles loaded, no site."""
    c = _open(reference_db, tmp_path)
    yield c
    c.engine.dispose()


@pytest.fixture
def demo_carto(demo_db, tmp_path) -> Carto:
    """Territories, pôles and the 500 demonstration sites."""
    c = _open(demo_db, tmp_path)
    yield c
    c.engine.dispose()


@pytest.fixture
def session(carto) -> Session:
    with carto.session() as s:
        yield s


def make_client(carto: Carto):
    from fastapi.testclient import TestClient
    from carto.app import create_app
    return TestClient(create_app(carto=carto))


@pytest.fixture
def client(demo_carto):
    with make_client(demo_carto) as c:
        yield c
