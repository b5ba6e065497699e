"""Helpers shared by the tests: the one module test files import helpers from (fixtures live in
``conftest.py``, which uses these too).
"""
import base64
import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, text
from sqlmodel import Session, select

from carto.community import contributions
from carto.core.settings import PROJECT_ROOT, SHARED_GEODATA, Settings
from carto.directory import sites
from carto.directory.service import Service
from carto.directory.site_schema import SiteData
from carto.importers import run_import
from carto.query import search, sourcing
from carto.query.search import SiteFilter
from carto.storage import search_index
from carto.storage.db import session_scope
from carto.storage.models import Contribution, Site, SiteStatus, User

GEODATA = SHARED_GEODATA
MODERATION_PASSWORD = "mot-de-passe-de-test"
PROTECTED_PREFIXES = ("/moderation", "/api/moderation", "/admin", "/api/admin")  # moderators only


# --- Services, clients and servers -------------------------------------------------------------

def settings_for(db: Path | str, **overrides) -> Settings:
    """Settings of a test database given as a SQLite file or a database URL."""
    url = db if isinstance(db, str) and "://" in db else f"sqlite:///{db}"
    # No service outside the machine: a test that needs one points it at a local fake server.
    return Settings(database_url=url, geodata=GEODATA, tiles="blank", **{"geocoder": "none", "sirene": "none"} | overrides)


def opened_copy(test_databases, source: str, tmp_path: Path):
    """A service on a copy of ``source`` (a fixture's generator: the copy is dropped after)."""
    url = test_databases.copy(source, tmp_path, "test")
    c = Service.open(settings_for(url, outbox_dir=tmp_path / "outbox"))  # as beside a SQLite file
    yield c
    c.engine.dispose()
    test_databases.drop(url)


def built_database(test_databases, source: str, tmp_path_factory, name: str, build) -> str:
    """URL of a copy of ``source`` that ``build(service)`` filled once, for the tests' own copies
    (``copy_of``): what several tests read is built once per run or module, not once per test."""
    url = test_databases.copy(source, tmp_path_factory.mktemp(name), name)
    service = Service.open(settings_for(url))
    try:
        build(service)
    finally:
        service.engine.dispose()
    return url


def popup_details_settled(page) -> None:
    """Wait for a map popup's details (address, hours) and for the pan that then shows it whole
    (``page``: a page or a frame): a click during the pan lands where the button was a moment before."""
    from playwright.sync_api import expect
    expect(page.locator(".carto-popup address")).to_be_visible()
    expect(page.locator(".leaflet-pan-anim")).to_have_count(0)


def make_client(service: Service, address: str = "testclient"):
    """A browser of its own; ``address``: the client address the server sees."""
    from fastapi.testclient import TestClient
    from carto.app import create_app
    return TestClient(create_app(service=service), client=(address, 50000))


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



# --- Processes: the carto command and servers, as an operator starts them --------------------------

def carto_process(service, *args: str, **env: str) -> subprocess.Popen:
    """The ``carto`` command on the test's database, in its own process group (its import reader and
    server workers too); ``env``: more ``CARTO_*`` settings."""
    env = os.environ | {"CARTO_DATABASE_URL": service.settings.database_url, "CARTO_GEODATA": str(GEODATA),
                        "CARTO_TILES": "blank", "CARTO_OUTBOX_DIR": str(service.settings.outbox_dir)} | env
    return subprocess.Popen([sys.executable, "-c", "from carto.cli import app; app()", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(service, *args: str, **env: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = carto_process(service, "serve", "--port", str(port), *args, **env)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert server.poll() is None, server.stderr.read().decode()[-2000:]
        try:
            return httpx.get(url + "/api/taxonomy", timeout=1).status_code == 200
        except httpx.TransportError:
            return False
    wait_for(up, "the server")
    return server, url



# --- Pages ---------------------------------------------------------------------------------------

def map_features(html: str) -> list[dict]:
    """The GeoJSON features that a page's folium maps draw (``mapview.DataLayer``: base64 in the script)."""
    found = re.findall(r'atob\("([A-Za-z0-9+/=]+)"\)', html)
    return [f for text in found for f in json.loads(base64.b64decode(text))["features"]]


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


try:  # FastAPI ≥ 0.160 keeps included routers as nested objects
    from fastapi.routing import iter_route_contexts
except ImportError:  # older FastAPI: app.routes is already flat
    def iter_route_contexts(routes):
        return routes


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, r.path) for r in iter_route_contexts(app.routes) if r.path
            for method in (r.methods or ()) if method != "HEAD"}


# --- Accessibility (axe-core in Chromium) -------------------------------------------------------

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = ("serious", "critical")


def audit(page, url: str, ready: str) -> list[dict]:
    """axe-core's WCAG 2.2 AA violations of ``url`` once ``ready`` shows (a context with ``bypass_csp``)."""
    from playwright.sync_api import expect
    page.goto(url)
    expect(page.locator(ready).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                         resultTypes: ['violations']})""", AXE_TAGS)
    return [{"rule": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [" ".join(map(str, n["target"])) for n in v["nodes"]][:5]} for v in result["violations"]]


# --- Sites ---------------------------------------------------------------------------------------

def add(service, session, name, lon=-1.6778, lat=48.1173, activities=("velo",), description="", **kw):
    return sites.create(session, SiteData(name=name, activities=list(activities), lon=lon, lat=lat,
                                          description=description, **kw), service.locator, actor="test")


def found(session, results) -> dict[int, float | None]:
    """The sites of a supplier search (``sourcing.run``) in their order: id → distance in km."""
    return {row.site.id: row.distance_km for row in sourcing.iter_rows(session, results)}


def names(session, **filters) -> list[str]:
    return sorted(s.name for s in search.find(session, SiteFilter(**filters)).sites)



# --- Contributions and moderation ----------------------------------------------------------------

RENNES = (-1.6778, 48.1173)
BREST = (-4.4861, 48.3904)
WHO = contributions.Contributor(contributor_name="Jeanne", contributor_email="jeanne@contributrice.example",
                                consent=True)


def propose(service, name="Atelier proposé", activities=("velo",), at=RENNES, **fields) -> Contribution:
    data = SiteData(name=name, activities=list(activities), lon=at[0], lat=at[1], **fields)
    with session_scope(service.engine) as session:
        c = contributions.propose_site(session, service, data, WHO).contribution
        session.flush()
        session.expunge(c)
    return c


def propose_change(service, site_id, **changes) -> Contribution:
    with session_scope(service.engine) as session:
        site = session.get(Site, site_id)
        current = sites.snapshot(session, site)
        fields = {k: v for k, v in current.items() if k in SiteData.model_fields} | changes
        c = contributions.propose_change(session, service, site, site.version, SiteData(**fields), WHO).contribution
        session.flush()
        session.expunge(c)
    return c


def published_in(service, commune_code) -> Site:
    with service.session() as session:
        return session.exec(select(Site).where(Site.commune_code == commune_code,
                                               Site.status == SiteStatus.published).order_by(Site.id)).first()


def decide(client, csrf, contribution_id, action, **extra):
    return client.post(f"/api/moderation/contributions/{contribution_id}/decision", json={"action": action, **extra},
                       headers={"X-CSRF-Token": csrf})



# --- Imports -------------------------------------------------------------------------------------

SAMPLE = PROJECT_ROOT.parent / "shared" / "data" / "lvao_acteurs_bretagne_sample.csv"
DATA = Path(__file__).parent / "data"
# The sample's actors by identifiant.
CAP = "aDcrby2bqxAZFM3yYCRTue"  # Cap Ressourcerie, Crach (ess)
ALRE = "EWDLqqJRavXraEwoVJEQbL"  # Alre-Bobinage, Auray (repairer)
POULBENN = "3kQK86DEWA3ZrcirdzzBez"  # Antiquités du Poulbenn, Crach
FRANKLIN = "8bHaabXYXXTSvoVghXY2VC"  # lycée, Auray
LOCARMOR = "NVhnuuKmw7gTKEoDBjd7bT"  # rental only: nothing mapped
AFE56 = "eYKxBYDMDoMXTr8iiw69Ek"  # computer repair, QualiRépar
RELAIS = "cyRZyTLfJ3goDJop2foYWb"  # Le Relais, textile collection
COUTURE = "XSyppoQHLT37uafQ6kj5M7"  # Rapid'Couture, Refashion


def sample_rows() -> list[dict]:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_lvao(path: Path, rows: list[dict]) -> Path:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        columns = next(csv.reader(f))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def variant(tmp_path: Path, name: str = "lvao.csv", **changes: dict) -> Path:
    """The sample with some columns of some actors changed: ``variant(tmp, CAP={"nom": "X"})``."""
    rows = sample_rows()
    for row in rows:
        row.update(changes.get(row["identifiant"], {}))
    return write_lvao(tmp_path / name, rows)


def import_lvao(service, path: Path = SAMPLE, **options):
    return run_import(service, path, "lvao", **options)


def site(session: Session, key: str, source: str = "lvao") -> Site | None:
    return session.exec(select(Site).where(Site.source == source, Site.source_key == key)).first()


def activities(session: Session, key: str, source: str = "lvao") -> list[str]:
    return sites.activities_of(session, site(session, key, source).id)


def count(session: Session, table: str) -> int:
    return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def site_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Site)).one()


def index_tables(session) -> tuple[str, ...]:
    """SQLite's text index table (FTS5); PostgreSQL's indexes live in the site table itself."""
    return search_index.SQLITE_TABLES if session.get_bind().dialect.name == "sqlite" else ()


def assert_every_site_is_whole(session) -> None:
    """Each stored site has its activities, its text index entry, its history and state."""
    sites = count(session, "site")
    assert [count(session, table) for table in index_tables(session)] == [sites] * len(index_tables(session))
    assert count(session, "siteversion") == count(session, "importstate") == sites
    orphans = session.execute(text(
        "SELECT count(*) FROM site WHERE id NOT IN (SELECT site_id FROM siteactivity)")).scalar_one()
    assert orphans == 0


def correct_as(service, email: str, key: str, **changes) -> None:
    with session_scope(service.engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        sites.update(session, site(session, key), changes, service.locator, actor=f"user:{user.id}")
