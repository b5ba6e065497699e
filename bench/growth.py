"""Every public read at 10,000, 100,000 and 1,000,000 sites: does its cost grow with the table?

    python bench/growth.py --db 10k=URL --db 100k=URL [--db 1M=URL] [--requests 40] [--rounds 3]
                           [--only TEXT] [--baseline DIR]

Each ``--db`` is a benchmark database built by ``scale_data.py`` (SQLite or PostgreSQL + PostGIS,
brought to the current schema with ``carto db upgrade``, then ``VACUUM ANALYZE`` on PostgreSQL). Each
is served by one uvicorn process on loopback; one keep-alive client sends every read in turn,
``--rounds`` times over the list (interleaved: a slow moment of a shared machine spreads over all
reads instead of spoiling one), ``--requests`` per read and round, gzip accepted and with
``Cache-Control: no-cache`` so that the server does the whole work. For each read: p50 and p95 of
all its requests, the server's CPU time per request (from /proc: hardly moved by other jobs), and
the ratio of its p50 to the first database's (10k): a read whose cost grows with the table shows
at a glance. On PostgreSQL the CPU of the server's database backends per request follows, after a
« + ». ``--baseline DIR``: a server with the code of another checkout (the code before a change)
takes turns with this one's on every read, and its columns follow, marked « (base) »; when the
change adds a migration, ``--db LABEL=URL|BASE_URL`` gives the baseline a copy at its own schema.

The views are centred on Rennes, present in both kinds of databases: a town view (~12 × 9 km), the
region, and the map's screen (1366 × 768 px) at zooms 6 to 14 for clusters.
"""
import argparse
import os
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (ROOT, carto_command, cpu_seconds, database_cpu, database_cpu_used, databases, free_port,  # noqa: E402
                    serve)

RENNES = (-1.6778, 48.1173)
TOWN = "-1.75,48.07,-1.60,48.15"
REGION = "-5.2,47.2,-1.0,48.9"
SCREEN_PX = (1366, 768)


def screen(zoom: int) -> str:
    """The box of a 1366 × 768 px map centred on Rennes at ``zoom`` (Web Mercator, roughly)."""
    import math
    width = SCREEN_PX[0] / 256 * 360 / 2 ** zoom
    height = SCREEN_PX[1] / 256 * 360 / 2 ** zoom * math.cos(math.radians(RENNES[1]))
    lon, lat = RENNES
    return f"{lon - width / 2:.5f},{lat - height / 2:.5f},{lon + width / 2:.5f},{lat + height / 2:.5f}"


READS = [
    ("viewport: town, GeoJSON, limit 500", f"/api/sites?bbox={TOWN}&limit=500"),
    ("viewport: region, compact, limit 1000 (the map)", f"/api/sites?bbox={REGION}&format=compact&limit=1000"),
    ("text: frequent word « ressourcerie »", "/api/sites?q=ressourcerie&limit=100"),
    ("text: rare word « 9999 »", "/api/sites?q=9999&limit=100"),
    ("text: no match « xyzzy »", "/api/sites?q=xyzzy&limit=100"),
    ("text + town box", f"/api/sites?q=ressourcerie&bbox={TOWN}&limit=100"),
    ("text + activity", "/api/sites?q=atelier&activity=velo&limit=100"),
    ("text + territory (département 35)", "/api/sites?q=ressourcerie&departement=35&limit=100"),
    *[(f"clusters, zoom {z}", f"/api/sites/clusters?bbox={screen(z)}&zoom={z}") for z in (6, 8, 10, 12, 14)],
    ("clusters, zoom 8, activity vélo", f"/api/sites/clusters?bbox={screen(8)}&zoom=8&activity=velo"),
    ("counts per activity in the view (region)", f"/api/taxonomy?bbox={REGION}"),
    ("counts per activity in the view (town)", f"/api/taxonomy?bbox={TOWN}"),
    ("list page (town)", f"/liste?bbox={TOWN}"),
    ("list page, search « atelier »", "/liste?q=atelier"),
    ("supplier search (département 35, vélo)", "/api/sourcing?zone=departement:35&activity=velo&limit=100"),
    ("verified reserved statuses only", "/api/sites?reserved_verified=true&limit=100"),
    ("supplier search, verified SIAE (département 35)",
     "/api/sourcing?zone=departement:35&reserved=siae&reserved_verified=true&limit=100"),
    ("OGC items (town, limit 100)", f"/ogc/collections/sites/items?bbox={TOWN}&limit=100"),
    ("supplier search, whole directory (vélo)", "/api/sourcing?activity=velo&limit=100"),
    ("supplier search of a pôle", "/api/sourcing?zone=pole:adesk&limit=100"),
    ("supplier search page (EPCI)", "/sourcing?zone=epci:243500139"),
    ("map, ESS structures of an EPCI (compact)", "/api/sites?epci=243500139&ess=true&format=compact&limit=1000"),
    ("map, a pôle's clusters (zoom 8)", f"/api/sites/clusters?bbox={screen(8)}&zoom=8&pole=adesk&ess=true"),
    ("territory statistics (EPCI)", "/api/stats/epci"),
    ("territories page", "/territoires"),
    ("the pôles' index", "/poles"),
    ("supplier search form", "/sourcing"),
    ("coverage report page", "/territoires/couverture"),
    ("change feed, first page", "/api/changes?limit=100"),
    ("a GoGoCarto element", "/api/elements/5"),
]


@dataclass
class Figures:
    p50: float
    p95: float
    cpu: float  # the server process's, per request
    db_cpu: float  # the PostgreSQL backends', per request (0 on SQLite: its work is in ``cpu``)

    def __str__(self) -> str:
        return f"{self.p50:.1f} / {self.p95:.1f} / {self.cpu:.1f}" + (f" + {self.db_cpu:.1f}" if self.db_cpu else "")


def measure(urls: dict[str, str], requests: int, rounds: int, reads: list[tuple[str, str]],
            trees: dict[str, Path]) -> dict[str, dict[str, Figures]]:
    """Every read on ``urls[tree]``, served by one process per tree (this checkout, maybe a
    baseline's), taking turns read by read: by tree, by read, its figures."""
    durations = {tree: {name: [] for name, _ in reads} for tree in trees}
    cpu = {tree: {name: 0.0 for name, _ in reads} for tree in trees}
    db_cpu = {tree: {name: 0.0 for name, _ in reads} for tree in trees}
    with ExitStack() as stack:
        servers = {}
        for tree, root in trees.items():
            port = free_port()
            env = {"CARTO_DATABASE_URL": urls[tree], "CARTO_TILES": "blank"}
            process = stack.enter_context(serve(carto_command(port), env, port, "/api/territories", cwd=root))
            client = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120, headers={
                "Accept-Encoding": "gzip", "Cache-Control": "no-cache"}))
            servers[tree] = (process, client)
            for name, path in reads:  # warm-up, and a check that every read answers
                response = client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} : {response.status_code} {response.text[:300]}")
        for _ in range(rounds):
            for name, path in reads:
                for tree, (process, client) in servers.items():
                    url = urls[tree]
                    before, db_before = cpu_seconds(process.pid), database_cpu(process.pid, url)
                    for _ in range(requests):
                        t0 = time.perf_counter()
                        client.get(path).raise_for_status()
                        durations[tree][name].append(time.perf_counter() - t0)
                    cpu[tree][name] += cpu_seconds(process.pid) - before
                    db_cpu[tree][name] += database_cpu_used(db_before, database_cpu(process.pid, url))
    total = requests * rounds
    return {tree: {name: Figures(statistics.median(d) * 1000, sorted(d)[int(0.95 * (len(d) - 1))] * 1000,
                                 cpu[tree][name] / total * 1000, db_cpu[tree][name] / total * 1000)
                   for name, d in durations[tree].items()} for tree in trees}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", required=True,
                        help="LABEL=URL, smallest first; LABEL=URL|BASE_URL: the baseline reads BASE_URL")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", action="append", default=[],
                        help="the reads whose name holds this text (repeatable; default: every read)")
    parser.add_argument("--baseline", type=Path, help="another checkout (git worktree): its server takes turns with "
                        "this one's on every read, and its figures are printed beside")
    args = parser.parse_args()
    reads = [(name, path) for name, path in READS if not args.only or any(o in name for o in args.only)]
    trees = {"": ROOT} | ({" (base)": args.baseline} if args.baseline else {})
    results, start_load = {}, os.getloadavg()[0]
    for label, urls in databases(args.db, trees):
        for tree, figures in measure(urls, args.requests, args.rounds, reads, trees).items():
            results[label + tree] = figures
    labels = list(results)
    first = labels[0]
    print(f"load average at the start: {start_load:.1f}, at the end: {os.getloadavg()[0]:.1f}")
    print("| read | " + " | ".join([f"{label} p50 / p95 / CPU ms" for label in labels]
                                   + [f"p50 {label} / {first}" for label in labels[1:]]) + " |")
    print("|---|" + "---:|" * (len(labels) * 2 - 1))
    for name, _ in reads:
        cells = [str(results[label][name]) for label in labels]
        ratios = [f"{results[label][name].p50 / results[first][name].p50:.1f}" for label in labels[1:]]
        print(f"| {name} | " + " | ".join(cells + ratios) + " |")


if __name__ == "__main__":
    main()
