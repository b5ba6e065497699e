"""Latency of /api/sites over HTTP with 100,000 sites, and the bytes of the first map load.

    python bench/api_latency.py [--sites 100000] [--requests 200] [--rounds 3] [--workdir /tmp/carto-bench] [--reuse]

1. Builds two SQLite databases: the 500 demo sites of ``carto demo``, and N generated sites
   written through ``carto.directory.bulk`` (territories, indexes and history, like any write).
2. Serves each with uvicorn on loopback (one process) and times sequential requests from one
   keep-alive client (gzip accepted, like a browser): median, 90th percentile, requests/s, in
   ``--rounds`` rounds over every scenario, each figure being the median of its rounds. Requests
   carry ``Cache-Control: no-cache`` so that the server does the whole work each time; the map's
   first call is then timed again as most visitors get it: replayed from the server's store.
   "CPU ms" is the server process's CPU time per request (from /proc): unlike wall-clock latency,
   it hardly moves when other jobs share the machine.
3. Loads the map page in headless Chromium and adds up what the first view costs: the page, its
   assets and API calls (only the first /api/sites: later ones follow the user's moves), raw and
   as sent (gzip). Map tiles are left out: they come from the tile server.

Targets: p50 ≤ 10 ms for ≤ 500 features; first load ≤ 300 KB gzip with 500 sites, ≤ 1.5 MB with 100,000.
"""
import argparse
import os
import statistics
import time
from pathlib import Path

import httpx

from common import Server, generate, reference_db, server, write
from carto.directory import bootstrap
from carto.storage import migrate
from carto.storage.db import make_engine

BRITTANY = "-5.2,47.2,-1.0,48.9"
RENNES = "-1.75,48.07,-1.60,48.15"  # the city, about 12 × 9 km
SCENARIOS = [
    ("Bretagne, compact, limit=1000 (la carte)", f"/api/sites?format=compact&limit=1000&bbox={BRITTANY}"),
    ("Bretagne, compact, limit=500", f"/api/sites?format=compact&limit=500&bbox={BRITTANY}"),
    ("Bretagne, GeoJSON, limit=100", f"/api/sites?bbox={BRITTANY}"),
    ("Rennes, compact, limit=1000", f"/api/sites?format=compact&limit=1000&bbox={RENNES}"),
    ("Rennes, compact, limit=500", f"/api/sites?format=compact&limit=500&bbox={RENNES}"),
    ("Rennes, GeoJSON, limit=100", f"/api/sites?bbox={RENNES}"),
    ("Rennes, vélo, compact, limit=500", f"/api/sites?format=compact&limit=500&activity=velo&bbox={RENNES}"),
    ("Rennes, OGC items, limit=100", f"/ogc/collections/sites/items?bbox={RENNES}"),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_requests(app: Server, path: str, n: int, stored: bool = False) -> dict:
    headers = {"Accept-Encoding": "gzip"} | ({} if stored else {"Cache-Control": "no-cache"})
    with httpx.Client(base_url=app.url, headers=headers, timeout=60) as client:
        for _ in range(5):  # warm-up: territory index, SQLite page cache, code paths
            client.get(path)
        durations, start, cpu = [], time.perf_counter(), app.cpu_seconds()
        for _ in range(n):
            t0 = time.perf_counter()
            response = client.get(path)
            durations.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        cpu = app.cpu_seconds() - cpu
    response.raise_for_status()
    body = response.json()
    returned = len(body.get("sites", body.get("features", [])))
    return {"p50": statistics.median(durations) * 1000, "p90": percentile(durations, 0.9) * 1000,
            "rps": n / elapsed, "cpu": cpu / n * 1000, "returned": returned,
            "total": body.get("total", body.get("numberMatched")), "wire": response.num_bytes_downloaded}


def first_load(url: str) -> dict:
    """Bytes of the map's first view in Chromium: raw (decoded) and as transferred (gzip)."""
    from playwright.sync_api import sync_playwright
    seen: list = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("requestfinished", lambda request: seen.append(request))
        with page.expect_response(lambda r: "/api/sites" in r.url, timeout=60_000):
            page.goto(url + "/")
        page.wait_for_load_state("networkidle")
        counted, api_sites = {"page": [0, 0], "assets": [0, 0], "api": [0, 0]}, False
        for request in seen:
            path = request.url.removeprefix(url)
            if not request.url.startswith(url) or path.startswith("/static/tiles/"):
                continue
            if path.startswith("/api/sites"):
                if api_sites:
                    continue  # only the first: later calls follow the user's moves
                api_sites = True
            response = request.response()
            raw = len(response.body()) if response and response.status == 200 else 0
            wire = request.sizes()["responseBodySize"]
            kind = "page" if path in ("/", "") else "api" if path.startswith("/api/") else "assets"
            counted[kind][0] += raw
            counted[kind][1] += wire
        browser.close()
    return counted


def kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB".replace(",", " ")


def build(small_db: Path, big_db: Path, n: int) -> None:
    t0 = time.perf_counter()
    bootstrap.setup_demo(reference_db(small_db), 500)
    big = reference_db(big_db)
    print(f"Bases de référence et 500 sites de démo : {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    generated = generate(big, n)
    t1 = time.perf_counter()
    write(big, generated)
    t2 = time.perf_counter()
    print(f"{n} sites : générés en {t1 - t0:.1f} s, écrits (carto.directory.bulk) en {t2 - t1:.1f} s ({n / (t2 - t1):,.0f} sites/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per scenario and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds over every scenario; each figure is the median of its rounds")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/carto-bench"))
    parser.add_argument("--reuse", action="store_true", help="reuse the databases of a previous run")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"Charge de la machine au départ (load average 1 min) : {os.getloadavg()[0]:.1f} sur {os.cpu_count()} cœurs")

    small_db, big_db = args.workdir / "demo-500.db", args.workdir / f"bench-{args.sites}.db"
    if not (args.reuse and small_db.exists() and big_db.exists()):
        build(small_db, big_db, args.sites)
    for db in (small_db, big_db):  # a database of an earlier run is brought to the current schema
        engine = make_engine(f"sqlite:///{db}")
        migrate.upgrade(engine)
        engine.dispose()
    for label, db in (("500 sites", small_db), (f"{args.sites} sites", big_db)):
        with server(db) as app:
            print(f"\n## {label} — {args.requests} requêtes séquentielles par scénario")
            print(f"{'scénario':46} {'p50 ms':>7} {'p90 ms':>7} {'CPU ms':>7} {'req/s':>6} {'renvoyés':>8} "
                  f"{'total':>7} {'octets gzip':>11}")
            scenarios = [(n, p, False) for n, p in SCENARIOS] + [
                ("Bretagne, la carte, réponse gardée en mémoire", SCENARIOS[0][1], True)]
            # Rounds over all scenarios rather than one long series each: a noisy minute of the
            # machine then weighs on one round of every scenario, and the median drops it.
            rounds = [[time_requests(app, path, args.requests, stored) for _, path, stored in scenarios]
                      for _ in range(args.rounds)]
            for (name, _, _), runs in zip(scenarios, zip(*rounds)):
                r = runs[0] | {k: statistics.median(run[k] for run in runs) for k in ("p50", "p90", "cpu", "rps")}
                p50s = "/".join(f"{run['p50']:.1f}" for run in runs)
                print(f"{name:46} {r['p50']:7.1f} {r['p90']:7.1f} {r['cpu']:7.1f} {r['rps']:6.0f} {r['returned']:8} "
                      f"{r['total']:7} {r['wire']:11}   (p50 des tours : {p50s})")
            load = first_load(app.url)
            raw, wire = (sum(v[i] for v in load.values()) for i in (0, 1))
            print(f"Premier affichage de la carte : {kb(raw)} bruts, {kb(wire)} transférés (gzip) — "
                  + ", ".join(f"{k} {kb(v[0])} / {kb(v[1])}" for k, v in load.items()))


if __name__ == "__main__":
    main()
