"""Scale benchmark, in one go: 100,000 sites on SQLite and 1,000,000 on PostgreSQL + PostGIS,
side by side with pygeoapi serving the same sites from the same PostGIS table.

    python bench/scale.py [--sqlite-sites 100000] [--pg-sites 1000000] [--pg-url postgresql://…]
                          [--requests 1000] [--concurrency 8] [--rounds 5] [--workdir /tmp/carto-bench-scale]
                          [--reuse] [--skip-sqlite]

Without --pg-url a throwaway PostgreSQL cluster is started (scripts/pg-test-cluster.sh) and stopped
at the end. pygeoapi is installed from PyPI into its own virtual environment (``--pygeoapi-venv``,
created when missing). The comparison with it runs both servers at once and alternates them,
``--rounds`` rounds of ``--requests / --rounds`` requests each: a busy moment of a shared machine
falls on both. Every server is one uvicorn process on a free loopback port; every figure
comes from a bounded number of requests (``--requests``) sent by ``--concurrency`` keep-alive
clients. Our requests carry ``Cache-Control: no-cache`` so that the server does the whole work
(no replay from its response store); pygeoapi has no such store.

Printed: import throughput; point → commune/pôle assignment; viewport latency (a box holding at
most 500 sites) on both stores; requests/s, p50, p95, p99 against pygeoapi and the ratio; the
first map payload (clusters of the whole region, then of a town); server memory (RSS).
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import scale_data  # noqa: E402
from common import carto_command, cpu_seconds, database_cpu, database_cpu_used, free_port, serve  # noqa: E402
from assign_points import BBOX as ASSIGN_BOX, assign  # noqa: E402
from carto.storage import migrate  # noqa: E402
from carto.storage.db import make_engine, normalize_url  # noqa: E402
from carto.directory.public_fields import STORED  # noqa: E402
from carto.territory.locator import Locator  # noqa: E402
from carto.core import taxonomy  # noqa: E402
from sqlmodel import Session  # noqa: E402

PYGEOAPI_PACKAGES = ["pygeoapi", "starlette", "uvicorn", "psycopg2-binary", "geoalchemy2"]


def view_sql(taxonomy) -> str:
    """The table pygeoapi serves: the published sites with the same properties as our features (every
    public field, activities and domains), so that both servers send the same data. The point is the
    expression of carto's GiST index: both servers use the same index."""
    domain_of = " ".join(f"WHEN '{slug}' THEN '{a.domain}'" for slug, a in taxonomy.activities.items())
    return f"""
DROP VIEW IF EXISTS pygeoapi_sites;
CREATE VIEW pygeoapi_sites AS
SELECT s.id, {", ".join(f"s.{f.attribute} AS {f.name}" for f in STORED)},
       (SELECT json_agg(a.activity ORDER BY a.activity) FROM siteactivity a WHERE a.site_id = s.id) AS activites,
       (SELECT json_agg(DISTINCT CASE a.activity {domain_of} END) FROM siteactivity a WHERE a.site_id = s.id)
         AS domaines,
       ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) AS geom
FROM site s WHERE s.status = 'published'
"""


# --- Servers ---------------------------------------------------------------------------------------

def carto_server(url: str, port: int, tree: Path = ROOT):
    """Our server on ``url``, with the code of ``tree`` (this checkout, or a baseline's)."""
    return serve(carto_command(port), {"CARTO_DATABASE_URL": url, "CARTO_TILES": "blank"}, port, "/api/taxonomy",
                 cwd=tree)


def rss_mb(process: subprocess.Popen) -> float:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- Load --------------------------------------------------------------------------------------

def load(server: tuple[int, subprocess.Popen, str | None], paths: list[str], requests: int, concurrency: int,
         headers: dict | None = None) -> dict:
    """``requests`` GETs spread over ``concurrency`` keep-alive connections, cycling through ``paths``;
    with the server's CPU time per request (the machine may be shared: wall-clock times move with
    the other jobs, CPU time hardly does), and its database's on PostgreSQL (``server``: port,
    process, database URL): on two cores both servers share the processors with the database."""
    port, process, database = server
    headers = {"Accept-Encoding": "gzip"} | (headers or {})
    durations: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine, my_sizes = [], []
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            t0 = time.perf_counter()
            conn.request("GET", paths[i % len(paths)], headers=headers)
            response = conn.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - t0)
            my_sizes.append(len(body))
            if response.status != 200:
                errors.append(f"{response.status} {paths[i % len(paths)]}")
        with lock:
            durations.extend(mine)
            sizes.extend(my_sizes)

    for path in paths[:min(len(paths), 20)]:  # warm-up: caches, code paths, connections
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        c.request("GET", path, headers=headers)
        c.getresponse().read()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    db_cpu = database_cpu(process.pid, database)
    cpu, start = cpu_seconds(process.pid), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - start, cpu_seconds(process.pid) - cpu
    db_cpu = database_cpu_used(db_cpu, database_cpu(process.pid, database))
    if errors:
        raise RuntimeError(f"{len(errors)} réponses en erreur, dont {errors[:3]}")
    return figures([{"durations": durations, "elapsed": elapsed, "cpu": cpu, "db_cpu": db_cpu, "sizes": sizes}])


def figures(runs: list[dict]) -> dict:
    """Requests/s, percentiles, CPU per request and median size over one or more runs of ``load``
    (the rounds of an interleaved comparison: their requests pooled, their times added)."""
    durations = [d for run in runs for d in run["durations"]]
    q = np.percentile(np.array(durations) * 1000, [50, 95, 99])
    return {"rps": len(durations) / sum(r["elapsed"] for r in runs), "p50": q[0], "p95": q[1], "p99": q[2],
            "cpu_ms": sum(r["cpu"] for r in runs) / len(durations) * 1000,
            "db_cpu_ms": sum(r["db_cpu"] for r in runs) / len(durations) * 1000,
            "bytes": statistics.median(s for run in runs for s in run["sizes"]), "runs": runs}


def interleaved(loads: dict[str, tuple], rounds: int, requests: int, concurrency: int) -> dict[str, dict]:
    """Each of ``loads`` (name → (server, paths, headers)) in turn, ``rounds`` times, ``requests`` in
    all for each: a busy moment of a shared machine falls on every server alike, not on one."""
    runs: dict[str, list] = {name: [] for name in loads}
    for _ in range(rounds):
        for name, (server, paths, headers) in loads.items():
            runs[name] += load(server, paths, max(1, requests // rounds), concurrency, headers)["runs"]
    return {name: figures(r) for name, r in runs.items()}


def get_json(port: int, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers={"Cache-Control": "no-cache"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{response.status} sur {path} : {body[:300]!r}")
    return json.loads(body)


# --- Views -------------------------------------------------------------------------------------

def boxes_of_at_most(port: int, centres: list[tuple[float, float]], most: int = 500) -> list[str]:
    """Around each centre, the largest square box (halving its side) holding at most ``most`` sites."""
    out = []
    for lon, lat in centres:
        half = 0.4
        while True:
            bbox = f"{lon - half:.5f},{lat - half * 0.66:.5f},{lon + half:.5f},{lat + half * 0.66:.5f}"
            total = get_json(port, f"/api/sites?limit=1&bbox={bbox}")["numberMatched"]
            if total <= most:
                out.append(bbox)
                break
            half /= 1.5
    return out


def row(label: str, r: dict) -> str:
    return (f"{label:58} {r['rps']:8.0f} {r['p50']:7.1f} {r['p95']:7.1f} {r['p99']:7.1f} {r['cpu_ms']:7.1f} "
            f"{r['db_cpu_ms']:7.1f} {r['bytes'] / 1024:9.1f}")


HEADER = (f"{'requête':58} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'CPU ms':>7} {'CPU base':>7} "
          f"{'Ko envoyés':>9}")


def measure_service(url: str, label: str, centres, region_view: tuple[str, int], town_view: tuple[str, int],
                  args) -> tuple[dict, list[str]]:
    port = free_port()
    with carto_server(url, port) as process:
        server = (port, process, url)
        boxes = boxes_of_at_most(port, centres)
        counts = [get_json(port, f"/api/sites?limit=1&bbox={b}")["numberMatched"] for b in boxes]
        print(f"\n## {label} — {len(boxes)} vues d'au plus 500 sites ({min(counts)} à {max(counts)} sites), "
              f"{args.requests} requêtes, {args.concurrency} clients")
        print(HEADER)
        fresh = {"Cache-Control": "no-cache"}
        results = {
            "api": load(server, [f"/api/sites?bbox={b}&limit=500" for b in boxes], args.requests, args.concurrency, fresh),
            "ogc": load(server, [f"/ogc/collections/sites/items?bbox={b}&limit=500&f=json" for b in boxes],
                        args.requests, args.concurrency, fresh),
            "compact": load(server, [f"/api/sites?bbox={b}&limit=500&format=compact" for b in boxes],
                            args.requests, args.concurrency, fresh),
        }
        print(row("/api/sites GeoJSON, limit=500", results["api"]))
        print(row("/ogc/collections/sites/items, limit=500", results["ogc"]))
        print(row("/api/sites compact (marqueurs de la carte), limit=500", results["compact"]))
        sequential = max(100, args.requests // 5)
        for key, label, fmt in (("api_seq", "GeoJSON", ""), ("compact_seq", "compact", "&format=compact")):
            results[key] = load(server, [f"/api/sites?bbox={b}&limit=500{fmt}" for b in boxes], sequential, 1, fresh)
            print(row(f"  /api/sites {label}, un seul client (latence de la vue)", results[key]))
        for name, (bbox, zoom) in (("région", region_view), ("ville", town_view)):
            path = f"/api/sites/clusters?bbox={bbox}&zoom={zoom}"
            answer = get_json(port, path)
            results[f"clusters_{name}"] = r = load(server, [path], max(50, args.requests // 10), args.concurrency, fresh)
            print(row(f"/api/sites/clusters, {name} (z{zoom}) : {len(answer['clusters'])} groupes, "
                      f"{answer['total']} sites", r))
        stored = load(server, [f"/api/sites/clusters?bbox={region_view[0]}&zoom={region_view[1]}"], 200,
                      args.concurrency)
        print(row("  même carte de la région, réponse gardée en mémoire", stored))
        results["rss_mb"] = rss_mb(process)
        print(f"Mémoire du serveur après la charge (RSS) : {results['rss_mb']:.0f} Mo")
    return results, boxes


# --- pygeoapi --------------------------------------------------------------------------------------

def pygeoapi_venv(venv: Path) -> str:
    """pygeoapi in its own virtual environment (installed from PyPI when missing); its version."""
    if not (venv / "bin" / "pygeoapi").exists():
        print(f"Installation de pygeoapi (PyPI) dans {venv}…")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *PYGEOAPI_PACKAGES], check=True)
    version = subprocess.run([str(venv / "bin" / "pip"), "show", "pygeoapi"], capture_output=True, text=True)
    return next(line.split()[1] for line in version.stdout.splitlines() if line.startswith("Version"))


def pygeoapi_config(workdir: Path, port: int, pg_url: str) -> dict:
    url = normalize_url(pg_url)
    server_url = f"http://127.0.0.1:{port}"
    config = {
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": server_url,
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8", "language": "fr-FR",
                   "limits": {"default_items": 10, "max_items": 1000}, "pretty_print": False,
                   "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OSM"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench", "keywords": ["ess"],
                                        "url": server_url, "terms_of_service": server_url},
                     "license": {"name": "Etalab 2.0", "url": server_url},
                     "provider": {"name": "bench", "url": server_url}, "contact": {"name": "bench"}},
        "resources": {"sites": {
            "type": "collection", "title": "Sites", "description": "Sites ESS", "keywords": ["ess"],
            "extents": {"spatial": {"bbox": [-180, -90, 180, 90],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "PostgreSQL", "id_field": "id", "table": "pygeoapi_sites",
                           "geom_field": "geom",
                           "data": {"host": url.host, "port": url.port or 5432, "dbname": url.database,
                                    "user": url.username, "password": url.password or ""}}]}},
    }
    path = workdir / "pygeoapi.yml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return {"PYGEOAPI_CONFIG": str(path), "PYGEOAPI_OPENAPI": str(workdir / "pygeoapi-openapi.yml")}


def versus_pygeoapi(venv: Path, workdir: Path, pg_url: str, boxes: list[str] | None, centres, args) -> dict:
    """Our server and pygeoapi on the same PostGIS table and the same views, in interleaved rounds
    (``--rounds``): 8 clients, then one. With ``--baseline``, our server with that checkout's code
    takes its turn in the same rounds. Without ``boxes`` (``--skip-views``), those around ``centres``."""
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(view_sql(taxonomy.load()))
    engine.dispose()
    port, ours_port, base_port = free_port(), free_port(), free_port()
    env = pygeoapi_config(workdir, port, pg_url)
    subprocess.run([str(venv / "bin" / "pygeoapi"), "openapi", "generate", env["PYGEOAPI_CONFIG"],
                    "--output-file", env["PYGEOAPI_OPENAPI"]], check=True, env=os.environ | env,
                   capture_output=True)
    with ExitStack() as servers:
        process = servers.enter_context(serve(
            [str(venv / "bin" / "uvicorn"), "pygeoapi.starlette_app:APP", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--no-access-log"], env, port, "/collections/sites?f=json"))
        ours = (ours_port, servers.enter_context(carto_server(pg_url, ours_port)), pg_url)
        base = (base_port, servers.enter_context(carto_server(pg_url, base_port, args.baseline)), pg_url) \
            if args.baseline else None
        boxes = boxes or boxes_of_at_most(ours_port, centres)
        theirs_counts = [get_json(port, f"/collections/sites/items?bbox={b}&limit=500&f=json")["numberReturned"]
                         for b in boxes]
        for server in (ours, base) if base else (ours,):
            ours_counts = [get_json(server[0], f"/api/sites?bbox={b}&limit=500")["numberReturned"] for b in boxes]
            if theirs_counts != ours_counts:
                raise RuntimeError(f"les deux serveurs ne rendent pas les mêmes sites : {ours_counts} / {theirs_counts}")
        print(f"\n## carto contre pygeoapi {args.pygeoapi_version}, même table PostGIS, mêmes {len(boxes)} vues "
              f"({min(ours_counts)} à {max(ours_counts)} sites), {args.rounds} tours alternés"
              + (f" ; référence : le code de {args.baseline}" if base else ""))
        print(HEADER)
        fresh = {"Cache-Control": "no-cache"}
        ours_paths = {"api": [f"/api/sites?bbox={b}&limit=500" for b in boxes],
                      "ogc": [f"/ogc/collections/sites/items?bbox={b}&limit=500&f=json" for b in boxes]}
        loads = {"api": (ours, ours_paths["api"], fresh), "ogc": (ours, ours_paths["ogc"], fresh),
                 **({"base_api": (base, ours_paths["api"], fresh), "base_ogc": (base, ours_paths["ogc"], fresh)}
                    if base else {}),
                 "pygeoapi": ((port, process, pg_url),
                              [f"/collections/sites/items?bbox={b}&limit=500&f=json" for b in boxes], None)}
        results = interleaved(loads, args.rounds, args.requests, args.concurrency)
        single = interleaved(loads, args.rounds, max(100, args.requests // 5), 1)
        for name, label in (("api", "carto /api/sites GeoJSON"), ("ogc", "carto /ogc/…/items"),
                            ("base_api", "référence /api/sites GeoJSON"), ("base_ogc", "référence /ogc/…/items"),
                            ("pygeoapi", "pygeoapi /collections/sites/items")):
            if name in results:
                print(row(f"{label}, limit=500, {args.concurrency} clients", results[name]))
                print(row(f"  {label}, un seul client", single[name]))
                results[name]["seq"] = single[name]
        results["pygeoapi"]["rss_mb"] = rss_mb(process)
        print(f"Mémoire du serveur pygeoapi (RSS) : {results['pygeoapi']['rss_mb']:.0f} Mo")
    return results


# --- Main --------------------------------------------------------------------------------------------

@contextmanager
def postgres(args):
    if args.pg_url:
        yield args.pg_url
        return
    directory = args.workdir / "pg"
    script = ROOT / "scripts" / "pg-test-cluster.sh"
    try:
        url = subprocess.run([str(script), "start", str(directory)], check=True, capture_output=True,
                             text=True).stdout.strip()
        yield url
    finally:
        subprocess.run([str(script), "stop", str(directory)], check=False)


def database(url: str, n: int, region: str, reuse: bool) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM site").scalar() if reuse else None
    except Exception:  # noqa: BLE001 (no such database or table yet: built below)
        stored = None
    if stored == n:
        before, after = migrate.upgrade(engine)  # a database of an older revision is brought up to date
        engine.dispose()
        print(f"{n:,} sites déjà en base ({url.split('@')[-1]}, révision {before} → {after}) : réutilisés"
              .replace(",", " "))
        return url
    engine.dispose()
    r = scale_data.build(url, n, region)
    print(f"Import de {r['sites']:,} sites ({region}) par carto.directory.bulk : {r['write_s']:.0f} s, "
          f"{r['sites_per_s']:,.0f} sites/s (territoires et pôles : {r['reference_s']:.0f} s)".replace(",", " "))
    return url


def assignment(url: str, points: int = 100_000) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        locator = Locator.from_db(session)
    engine.dispose()
    rng = np.random.default_rng(7)
    west, south, east, north = ASSIGN_BOX
    lons, lats = rng.uniform(west, east, points), rng.uniform(south, north, points)
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        codes, _poles = assign(locator, lons, lats)
        runs.append(time.perf_counter() - t0)
    print(f"Affectation point → commune, EPCI, pays, pôles : {points:,} points en {min(runs):.2f} s "
          f"({points / min(runs):,.0f} points/s ; {int((codes != None).sum()):,} sur terre)".replace(",", " "))  # noqa: E711


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite-sites", type=int, default=100_000)
    parser.add_argument("--pg-sites", type=int, default=1_000_000)
    parser.add_argument("--pg-url", help="an existing PostgreSQL + PostGIS database (else a throwaway cluster)")
    parser.add_argument("--requests", type=int, default=1000, help="requests per measure")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/carto-bench-scale"))
    parser.add_argument("--pygeoapi-venv", type=Path, default=Path("/tmp/pygeoapi-venv"))
    parser.add_argument("--reuse", action="store_true", help="keep databases that already hold the sites")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds of the comparison with pygeoapi")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostGIS and pygeoapi only")
    parser.add_argument("--baseline", type=Path, help="another checkout (git worktree) whose server takes its turn "
                        "in the comparison with pygeoapi: the code before a change, measured in the same rounds")
    parser.add_argument("--skip-views", action="store_true", help="only the comparison with pygeoapi on PostGIS")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"Machine : {os.cpu_count()} cœurs, charge au départ {os.getloadavg()[0]:.1f} (load average 1 min)")

    ours_sqlite = None
    if not args.skip_sqlite:
        sqlite_url = database(f"sqlite:///{args.workdir / f'bretagne-{args.sqlite_sites}.db'}",
                              args.sqlite_sites, "bretagne", args.reuse)
        assignment(sqlite_url)
        brittany = ("-5.3,47.2,-1.0,48.95", 8)
        rennes = ("-1.75,48.07,-1.60,48.15", 13)
        towns = [(-1.6778, 48.1173), (-4.4861, 48.3904), (-2.7603, 47.6559), (-3.3667, 47.7500)]
        ours_sqlite, _ = measure_service(sqlite_url, f"carto, SQLite, {args.sqlite_sites:,} sites (Bretagne)"
                                         .replace(",", " "), towns, brittany, rennes, args)

    args.pygeoapi_version = pygeoapi_venv(args.pygeoapi_venv)
    with postgres(args) as pg_url:
        pg_url = database(pg_url, args.pg_sites, "france", args.reuse)
        france = ("-5.0,42.3,8.3,51.1", 6)
        lyon = ("4.78,45.72,4.90,45.80", 13)
        cities = [(-1.6778, 48.1173), (4.8357, 45.7640), (2.3522, 48.8566), (-0.5792, 44.8378), (3.0573, 50.6292)]
        ours_pg, boxes = (None, None) if args.skip_views else measure_service(
            pg_url, f"carto, PostgreSQL + PostGIS, {args.pg_sites:,} sites (France)".replace(",", " "), cities, france,
            lyon, args)
        versus = versus_pygeoapi(args.pygeoapi_venv, args.workdir, pg_url, boxes, cities, args)

    theirs = versus["pygeoapi"]
    print(f"\n## Résumé (charge à la fin {os.getloadavg()[0]:.1f})")
    for name, key in (("GeoJSON /api/sites", "api"), ("OGC API items", "ogc"),
                      *((("GeoJSON /api/sites (référence)", "base_api"), ("OGC API items (référence)", "base_ogc"))
                        if args.baseline else ())):
        ours = versus[key]
        print(f"{name} contre pygeoapi (PostGIS, mêmes vues, {args.rounds} tours alternés, {args.concurrency} clients) : "
              f"{ours['rps']:.0f} contre {theirs['rps']:.0f} req/s = ×{ours['rps'] / theirs['rps']:.1f} ; "
              f"p50 {ours['p50']:.1f} contre {theirs['p50']:.1f} ms ; p99 {ours['p99']:.1f} contre {theirs['p99']:.1f} ms ; "
              f"un client : p50 {ours['seq']['p50']:.1f} contre {theirs['seq']['p50']:.1f} ms")
    for key, label in (("api", "GeoJSON"), ("ogc", "OGC"), ("base_api", "GeoJSON (référence)"),
                       ("base_ogc", "OGC (référence)"), ("pygeoapi", "pygeoapi")):
        if key in versus:
            r = versus[key]
            print(f"CPU par requête, {label} : serveur {r['cpu_ms']:.1f} ms + base {r['db_cpu_ms']:.1f} ms "
                  f"= {r['cpu_ms'] + r['db_cpu_ms']:.1f} ms")
    for name, key in (("compact (la carte)", "compact_seq"), ("GeoJSON", "api_seq")) if ours_pg else ():
        sqlite = (f"SQLite {args.sqlite_sites:,} p50 {ours_sqlite[key]['p50']:.1f} ms (cible ≤ 10) ; "
                  if ours_sqlite else "")
        print(f"Vue ≤ 500 sites, {name}, un client : {sqlite}PostGIS {args.pg_sites:,} p95 {ours_pg[key]['p95']:.1f} ms "
              f"(cible ≤ 50)".replace(",", " "))
    if ours_sqlite and ours_pg:
        print(f"RSS à {args.sqlite_sites:,} sites (SQLite) : {ours_sqlite['rss_mb']:.0f} Mo (cible ≤ 400) ; "
              f"à {args.pg_sites:,} (PostGIS) : {ours_pg['rss_mb']:.0f} Mo".replace(",", " "))


if __name__ == "__main__":
    main()
