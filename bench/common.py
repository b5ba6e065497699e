"""Shared by the benchmarks: a database with Brittany's territories, many generated sites, a server.

Sites go through ``carto.directory.bulk`` (the set-at-a-time write path: same validation, territory keys,
FTS5 entries and one history version per site as ``carto.directory.sites``), so a database of
100,000 sites looks exactly like one grown site by site.
"""
import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from carto.territory import poles  # noqa: E402

from carto.directory import bootstrap, bulk
from carto.directory.service import Service  # noqa: E402
from carto.storage.db import session_scope  # noqa: E402
from carto.core.settings import Settings  # noqa: E402
from carto.directory.site_schema import SiteData  # noqa: E402

BATCH = 5000
KINDS = ["Ressourcerie", "Repair café", "Atelier vélo", "Friperie solidaire", "Garage solidaire",
         "Recyclerie", "Matériauthèque", "Covoiturage solidaire", "Épicerie solidaire"]


def settings(db: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{db}", tiles="blank")


def reference_db(db: Path) -> Service:
    """A new database with communes, EPCI, pays, départements and pôles (from CARTO_GEODATA)."""
    db.unlink(missing_ok=True)
    service = Service.open(settings(db))
    if not service.settings.territories_enabled:
        sys.exit("Géodonnées introuvables : définir CARTO_GEODATA (voir ../shared/geodata/README.md)")
    bootstrap.load_territories(service)
    bootstrap.load_poles(service, service.settings.geodata / poles.POLES_TABLE)
    return service


def random_points_in(geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform points inside a polygon, by vectorised rejection within its bounds."""
    shapely.prepare(geometry)
    west, south, east, north = geometry.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        xs, ys = rng.uniform(west, east, 4 * n + 8), rng.uniform(south, north, 4 * n + 8)
        keep = shapely.contains_xy(geometry, xs, ys)
        found = np.vstack([found, np.column_stack([xs[keep], ys[keep]])])
    return found[:n]


def generate(service: Service, n: int, seed: int = 2024) -> list[SiteData]:
    """Fictional sites spread over communes in proportion to population (towns get more)."""
    rng = np.random.default_rng(seed)
    locator = service.locator
    population = np.array([max(c.population, 50) for c in locator.communes], dtype=float)
    chosen = rng.choice(len(locator.communes), size=n, p=population / population.sum())
    activities = [a.slug for d in service.taxonomy.domains if d.is_open() for a in d.activities]
    out: list[SiteData] = []
    for index in np.unique(chosen):
        commune = locator.communes[index]
        count = int((chosen == index).sum())
        for lon, lat in random_points_in(locator.geometries[index], count, rng):
            i = len(out)
            kinds = rng.choice(activities, size=1 + int(rng.random() < 0.3), replace=False)
            out.append(SiteData(
                name=f"[Démo] {KINDS[i % len(KINDS)]} n° {i} de {commune.name}", activities=list(kinds),
                lon=round(float(lon), 6), lat=round(float(lat), 6),
                description="Site fictif généré pour les mesures de performance.",
                postcode=commune.postcodes.split(",")[0] if commune.postcodes else "",
                siae=bool(rng.random() < 0.2), ea_esat=bool(rng.random() < 0.08)))
    return out


def write(service: Service, sites: list[SiteData], source: str = "bench") -> int:
    """Write sites in batches through ``carto.directory.bulk``, one transaction per batch."""
    for start in range(0, len(sites), BATCH):
        batch = sites[start:start + BATCH]
        rows = [bulk.new_row(s.model_dump(exclude={"activities"}), is_demo=True, source=source,
                             source_key=str(start + i), credit="Données fictives de démonstration")
                for i, s in enumerate(batch)]
        errors = bulk.place(rows, service.locator)
        if any(errors):
            raise RuntimeError(next(e for e in errors if e))
        with session_scope(service.engine) as session:
            bulk.insert_sites(session, rows, [s.activities for s in batch], actor="bench")
    return len(sites)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system, its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cluster_cpu_seconds(engine) -> float | None:
    """CPU time the local PostgreSQL cluster of ``engine`` has used so far: every server process
    (backends, autovacuum, WAL and checkpoints) and those that ended; None on SQLite or for a
    server this machine cannot see."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    try:
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ended = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # children reaped
    return ended + sum(cpu_seconds(pid) for pid in [postmaster, *descendants(postmaster)] if Path(f"/proc/{pid}").exists())


def descendants(pid: int) -> list[int]:
    """Child processes, and theirs (server workers), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


@dataclass
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """The server's CPU time so far, its worker processes included (a worker that exited is not)."""
        return sum(cpu_seconds(pid) for pid in [self.pid, *descendants(self.pid)])


@contextmanager
def serve(command: list[str], env: dict, port: int, ready_path: str, cwd: Path = ROOT):
    """A server process on 127.0.0.1:port; yields the process once ``ready_path`` answers 200. Its
    output goes to the terminal (a pipe nobody reads would stop a chatty server once full). ``cwd``:
    the tree whose ``carto`` it imports (``python -m`` puts it first on the path), another checkout
    for a baseline."""
    process = subprocess.Popen(command, env=os.environ | env, cwd=cwd, stdout=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} s'est arrêté (code {process.returncode}) : voir sa sortie ci-dessus")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", ready_path)
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def carto_command(port: int, workers: int = 1) -> list[str]:
    """``carto`` served by uvicorn, as ``carto serve --workers N`` does."""
    return [sys.executable, "-m", "uvicorn", "carto.app:create_app", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log", "--workers", str(workers)]


@contextmanager
def server(db: Path, workers: int = 1):
    """``carto`` on a SQLite database, in its own process(es) on a free loopback port."""
    port = free_port()
    env = {"CARTO_DATABASE_URL": f"sqlite:///{db}", "CARTO_TILES": "blank"}
    with serve(carto_command(port, workers), env, port, "/api/territories") as process:
        yield Server(f"http://127.0.0.1:{port}", process.pid)


def database_backends(pid: int, url: str) -> list[int]:
    """The PostgreSQL server processes serving the connections of process ``pid`` (and its workers), for
    a cluster on this machine: the client ports of ``pg_stat_activity`` matched to the process's sockets."""
    import psycopg  # the PostgreSQL benches only
    from sqlalchemy.engine import make_url
    inodes = set()
    for process in [pid, *descendants(pid)]:
        for fd in Path(f"/proc/{process}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    parsed = make_url(url)
    conninfo = {"host": parsed.host, "port": parsed.port or 5432, "dbname": parsed.database, "user": parsed.username,
                "password": parsed.password or ""}
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        rows = conn.execute("SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL").fetchall()
    return [backend for backend, port in rows if port in ports]


def database_cpu(pid: int, url: str | None) -> dict[int, float]:
    """CPU time so far of each PostgreSQL process serving ``pid``'s connections, by process (none for
    SQLite, whose work is in the process itself)."""
    if not url or not url.startswith("postgres"):
        return {}
    found = {}
    for backend in database_backends(pid, url):
        try:
            found[backend] = cpu_seconds(backend)
        except FileNotFoundError:  # ended since
            pass
    return found


def database_cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """Seconds of database CPU between two ``database_cpu`` readings: a backend opened in between
    counts whole, one that ended in between is lost (a pool keeps its connections open)."""
    return sum(seconds - before.get(backend, 0.0) for backend, seconds in after.items())


def databases(specs: list[str], trees: dict[str, Path]):
    """The ``--db LABEL=URL[|BASE_URL]`` options of a benchmark taking turns with a baseline: for each,
    its label and the URL each tree reads (the baseline reads BASE_URL when given: its own schema)."""
    for spec in specs:
        label, _, url = spec.partition("=")
        url, _, base_url = url.partition("|")
        print(f"… {label} ({url})", file=sys.stderr, flush=True)
        yield label, {tree: base_url if tree and base_url else url for tree in trees}
