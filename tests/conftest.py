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


# --- Browser tests (headless Debian Chromium driven by Playwright) -----------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:")


class LiveServer:
    """The app served by uvicorn in a thread, on a free loopback port."""

    def __init__(self, app):
        import socket
        import threading
        import uvicorn
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        import time
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(demo_carto):
    from carto.app import create_app
    with LiveServer(create_app(carto=demo_carto)) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page that records page errors and any request leaving the machine.

    Tests may read ``page.external_requests`` and ``page.errors``; both must stay empty for the
    page to count as working offline.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    pg = context.new_page()
    pg.external_requests, pg.errors = [], []
    pg.on("request", lambda r: None if r.url.startswith(LOCAL_PREFIXES) else pg.external_requests.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()
