"""Shared fixtures: databases with the reference geography of Brittany, built once per run.

``reference_db`` has territories and pôles, ``demo_db`` adds the 500 demonstration sites; each test
gets its own copy (SQLite backup API, or ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so tests may
write freely. ``CARTO_TEST_DATABASE_URL`` selects PostgreSQL + PostGIS (see ``tests/databases.py``);
``@pytest.mark.postgis`` tests run only there, ``@pytest.mark.sqlite_only(reason)`` tests only on SQLite,
and tests that open no database are left to the SQLite round.
"""
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session

from carto.directory import bootstrap
from carto.directory.service import Service
from tests.databases import TEST_DATABASE_URL, open_databases
from tests.helpers import (GEODATA, MODERATION_PASSWORD, LiveServer, built_database, csrf_of, make_client, opened_copy,
                           settings_for)
from tests.write_owner import WriteGuard

BACKEND = "postgresql" if TEST_DATABASE_URL else "sqlite"


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, only the tests that open a database run: the others (pure functions, file
    parsers) behave the same whatever the backend, and the SQLite round has run them."""
    if BACKEND != "postgresql":
        return
    opens = [("test_databases" in getattr(item, "fixturenames", ()), item) for item in items]
    config.hook.pytest_deselected(items=[item for db, item in opens if not db])
    items[:] = [item for db, item in opens if db]


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgis") and BACKEND != "postgresql":
        pytest.skip("needs PostgreSQL + PostGIS (CARTO_TEST_DATABASE_URL)")
    only = item.get_closest_marker("sqlite_only")
    if only and BACKEND != "sqlite":
        pytest.skip(f"SQLite only: {only.args[0] if only.args else only.kwargs.get('reason', '')}")


@pytest.fixture(scope="session")
def write_guard():
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    guard = WriteGuard()
    event.listen(Engine, "before_cursor_execute", guard)
    yield guard
    event.remove(Engine, "before_cursor_execute", guard)


@pytest.fixture(autouse=True)
def only_the_write_path_writes_sites(write_guard):
    """Every test fails if a module other than the write path wrote the sites' tables."""
    write_guard.take_foreign()
    yield
    foreign = write_guard.take_foreign()
    assert not foreign, "écritures hors de carto.directory.sites / bulk :\n" + "\n".join(foreign)


def assert_consistent(service: Service) -> None:
    """Every derived copy of every site equals what its source columns give (``carto db check``)."""
    from carto.directory import consistency
    with service.session() as session:
        report = consistency.check(session)
    assert report.differences == [], f"copies dérivées incohérentes : {report.differences[:10]}"
    assert report.cells == [], f"mailles de la carte incohérentes : {report.cells[:10]}"
    assert report.tallies == [], f"comptes par territoire et par label incohérents : {report.tallies[:10]}"


@pytest.fixture(scope="session")
def test_databases():
    """Creates, copies and drops the test databases of the run's backend."""
    databases = open_databases()
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def reference_db(test_databases, tmp_path_factory) -> str:
    """URL of the database with territories and pôles (never written by tests)."""
    url = test_databases.new(tmp_path_factory.mktemp("ref"), "reference")
    service = Service.open(settings_for(url))
    bootstrap.load_territories(service)
    bootstrap.load_poles(service, GEODATA / "poles_ess_bretagne.csv")
    service.engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_db(test_databases, reference_db, tmp_path_factory) -> str:
    """URL of the reference database plus the 500 demonstration sites (never written by tests)."""
    return built_database(test_databases, reference_db, tmp_path_factory, "demo",
                          lambda service: bootstrap.setup_demo(service, 500))


def _checked_copy(test_databases, write_guard, source: str, tmp_path: Path):
    """``opened_copy``, and after the test: what it wrote through the write path passes the check."""
    copy = opened_copy(test_databases, source, tmp_path)
    service = next(copy)
    yield service
    database = make_url(service.settings.database_url).database
    try:
        if write_guard.should_check(database):
            assert_consistent(service)
    finally:
        next(copy, None)  # disposed and dropped


@pytest.fixture
def copy_of(test_databases, write_guard, tmp_path):
    """``copy_of(url)``: a service on a copy of the database ``url`` (a module's template, made once by
    ``helpers.built_database``), checked and dropped after the test as ``service`` is."""
    copies = []

    def make(source: str) -> Service:
        folder = tmp_path / f"copy{len(copies)}"
        folder.mkdir()
        copies.append(_checked_copy(test_databases, write_guard, source, folder))
        return next(copies[-1])
    yield make
    for copy in copies:
        next(copy, None)


@pytest.fixture
def service(test_databases, write_guard, reference_db, tmp_path) -> Service:
    """Territories and pôles loaded, no site."""
    yield from _checked_copy(test_databases, write_guard, reference_db, tmp_path)


@pytest.fixture
def demo_service(test_databases, write_guard, demo_db, tmp_path) -> Service:
    """Territories, pôles and the 500 demonstration sites."""
    yield from _checked_copy(test_databases, write_guard, demo_db, tmp_path)


@pytest.fixture
def empty_database_url(test_databases, tmp_path) -> str:
    """URL of a new empty database on the run's backend (no table), dropped after the test."""
    url = test_databases.new(tmp_path, "empty")
    yield url
    test_databases.drop(url)


@pytest.fixture
def cli(monkeypatch, empty_database_url):
    """``cli(*args, geodata=GEODATA)`` runs the ``carto`` command (Typer's runner) on a new empty
    database of the run's backend, the same one for every call of the test."""
    from typer.testing import CliRunner
    from carto.cli import app
    from carto.core.settings import get_settings
    runner = CliRunner()

    def run(*args: str, geodata: Path = GEODATA):
        monkeypatch.setenv("CARTO_DATABASE_URL", empty_database_url)
        monkeypatch.setenv("CARTO_GEODATA", str(geodata))
        get_settings.cache_clear()
        try:
            return runner.invoke(app, list(args))
        finally:
            get_settings.cache_clear()
    return run


@pytest.fixture
def session(service) -> Session:
    with service.session() as s:
        yield s


@pytest.fixture
def client(demo_service):
    with make_client(demo_service) as c:
        yield c


# --- Browser tests (headless Debian Chromium driven by Playwright) -----------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:")


@pytest.fixture
def live_server(demo_service):
    from carto.app import create_app
    with LiveServer(create_app(service=demo_service)) as server:
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


# --- Moderation accounts (contributions and moderation) ----------------------------------------

# name -> (role, pôles, domains): the Cress, a pôle around Rennes, a pôle around Brest, a domain team.
MODERATION_ACCOUNTS = {
    "admin": ("admin", [], []),
    "reso": ("moderator", ["reso-solidaire"], []),
    "brest": ("moderator", ["adess-pays-de-brest"], []),
    "mobilite": ("moderator", [], ["mobilite"]),
}


@pytest.fixture(scope="session")
def moderation_password_hash() -> str:
    from carto.community import auth
    return auth.hash_password(MODERATION_PASSWORD)


@pytest.fixture
def moderation_accounts(demo_service, moderation_password_hash, monkeypatch) -> dict[str, str]:
    """The accounts of MODERATION_ACCOUNTS in ``demo_carto``: name -> e-mail (password MODERATION_PASSWORD)."""
    from carto.community import auth, users
    from carto.storage.db import session_scope
    # argon2 is slow on purpose: hash the shared test password once per run.
    real_hash = auth.hash_password
    monkeypatch.setattr(auth, "hash_password",
                        lambda pw: moderation_password_hash if pw == MODERATION_PASSWORD else real_hash(pw))
    emails = {}
    with session_scope(demo_service.engine) as session:
        for name, (role, poles, domains) in MODERATION_ACCOUNTS.items():
            user = users.create(session, demo_service.taxonomy, f"{name}@moderation.example", MODERATION_PASSWORD,
                                role=role, name=f"Modération {name}", poles=poles, domains=domains)
            emails[name] = user.email
    return emails


@pytest.fixture
def sign_in():
    """``sign_in(client, email)`` signs a TestClient in; returns the CSRF token for its next posts."""
    def _sign_in(client, email: str, password: str = MODERATION_PASSWORD) -> str:
        token = csrf_of(client.get("/connexion").text)
        response = client.post("/connexion", data={"csrf_token": token, "email": email, "password": password},
                               follow_redirects=False)
        assert response.status_code == 303, response.text
        return client.get("/api/moderation/me").json()["csrf_token"]
    return _sign_in
