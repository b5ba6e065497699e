"""Load: many concurrent visitors on the map page and the read API, for a fixed time.

    python bench/load.py [--clients 100] [--seconds 60] [--sites 500] [--workers 1] [--workdir /tmp/carto-bench] [--reuse]

uvicorn (as ``carto serve --workers N``) on loopback serves the demo database. ``--clients``
asyncio tasks, each a visitor with its own keep-alive connection, send requests back to back
until ``--seconds`` have passed: the map page, then what the map asks for (taxonomy, the sites of
Brittany, of a city), a site, the OGC items, a list page. Bounded: every request has a 30 s timeout
and nobody starts a request after the deadline. Prints, per path and overall, requests, errors,
p50/p99 latency and requests per second, and the server's CPU use; exits with status 1 if any
request failed (a status other than 200, a timeout, a reset connection).
"""
import argparse
import asyncio
import itertools
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import reference_db, server  # noqa: E402

from carto.directory import bootstrap  # noqa: E402

# What a visitor's session asks for, in order (cycled): the map page and its calls, then reading.
VISIT = [
    ("map page", "/"),
    ("taxonomy", "/api/taxonomy"),
    ("sites of Brittany (the map's call)", "/api/sites?bbox=-5.2,47.2,-1.0,48.9&limit=1000&format=compact"),
    ("sites of Rennes", "/api/sites?bbox=-1.75,48.07,-1.60,48.15&limit=1000&format=compact"),
    ("a site (GeoJSON)", "/api/sites/{site}"),
    ("OGC items of Rennes", "/ogc/collections/sites/items?bbox=-1.75,48.07,-1.60,48.15&limit=100"),
    ("list page", "/liste?commune=35238"),
]
TIMEOUT = 30


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def visitor(n: int, url: str, deadline: float, site_ids: list[int], times: dict, errors: dict) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits) as client:
        for step in itertools.count(n):  # visitors start at different points of the visit
            if time.monotonic() >= deadline:
                return
            name, path = VISIT[step % len(VISIT)]
            path = path.format(site=site_ids[step % len(site_ids)])
            start = time.perf_counter()
            try:
                response = await client.get(path)
                await response.aread()
                ok = response.status_code == 200
                why = f"HTTP {response.status_code}"
            except httpx.HTTPError as e:
                ok, why = False, type(e).__name__
            elapsed = time.perf_counter() - start
            times[name].append(elapsed)
            if not ok:
                errors[name][why] += 1


async def load(url: str, clients: int, seconds: float, site_ids: list[int]) -> tuple[dict, dict, float]:
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(*(visitor(i, url, deadline, site_ids, times, errors) for i in range(clients)))
    return times, errors, time.monotonic() - start


def report(times: dict, errors: dict, wall: float, cpu: float, clients: int, workers: int) -> int:
    """Prints the table; returns the number of failed requests."""
    print(f"\n{clients} clients, {workers} worker(s), {wall:.1f} s, server CPU {cpu:.1f} s "
          f"({100 * cpu / wall:.0f} % of one core)\n")
    print(f"| {'path':<36} | {'requests':>8} | {'errors':>6} | {'p50 ms':>7} | {'p99 ms':>7} | {'req/s':>6} |")
    print(f"|{'-' * 38}|{'-' * 9}:|{'-' * 7}:|{'-' * 8}:|{'-' * 8}:|{'-' * 7}:|")
    failed = {name: sum(kinds.values()) for name, kinds in errors.items()}
    rows = [(name, times[name], failed.get(name, 0)) for name, _ in VISIT]
    rows.append(("all", [t for v in times.values() for t in v], sum(failed.values())))
    for name, values, n_errors in rows:
        print(f"| {name:<36} | {len(values):>8} | {n_errors:>6} | {1000 * percentile(values, .5):>7.1f} | "
              f"{1000 * percentile(values, .99):>7.1f} | {len(values) / wall:>6.1f} |")
    for name, kinds in errors.items():
        for why, count in kinds.items():
            print(f"  errors on {name}: {count} × {why}")
    return sum(failed.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sites", type=int, default=500, help="demo sites in the database")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/carto-bench"))
    parser.add_argument("--reuse", action="store_true", help="keep the database of a previous run")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = args.workdir / f"load-{args.sites}.db"
    if not (args.reuse and db.exists()):
        service = reference_db(db)
        bootstrap.setup_demo(service, args.sites)
        service.engine.dispose()
    with server(db, args.workers) as app:
        site_ids = [f["id"] for f in httpx.get(app.url + "/api/sites?limit=200").json()["features"]]
        cpu_before = app.cpu_seconds()
        times, errors, wall = asyncio.run(load(app.url, args.clients, args.seconds, site_ids))
        cpu = app.cpu_seconds() - cpu_before
    sys.exit(1 if report(times, errors, wall, cpu, args.clients, args.workers) else 0)


if __name__ == "__main__":
    main()
