"""The town view over HTTP against the bare pipeline that computes it: what the web stack costs.

    python bench/http_overhead.py --url URL [--boxes 20] [--half 0.075,0.04] [--requests 10] [--rounds 5]

The same boxes, around the ``--boxes`` communes holding most sites (``--half``: half their width and
height in degrees, a town by default, ~12 × 9 km), each asked for its first 500 GeoJSON features (``/api/sites?bbox=…&limit=500``). The bare pipeline is what the endpoint runs,
in this process, without the web stack: the index queries (``carto.query.paging.find``), the
stored JSON put together into a FeatureCollection (``carto.directory.site_json``) and gzip as the
server does it (``carto.api.compression``). Over HTTP: one uvicorn process on loopback, one keep-alive client, gzip accepted,
``Cache-Control: no-cache`` (the server does the whole work). Rounds alternate the two, so that a
busy moment of a shared machine spreads over both. Printed: p50 and p95 of each, CPU time per
request (this process for the pipeline, the server's for HTTP) and the ratio of the medians.
"""
import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import carto_command, cpu_seconds, free_port, serve  # noqa: E402
from carto.api import compression  # noqa: E402
from carto.core.settings import Settings  # noqa: E402
from carto.directory import site_json  # noqa: E402
from carto.directory.service import Service  # noqa: E402
from carto.query import paging  # noqa: E402
from carto.query.search import SiteFilter  # noqa: E402
from carto.storage.models import Site, SiteStatus  # noqa: E402

LIMIT = 500


def town_boxes(service: Service, n: int, half: tuple[float, float]) -> list[tuple[float, float, float, float]]:
    """Boxes around the centres of the ``n`` communes holding most published sites."""
    with service.session() as session:
        codes = session.exec(select(Site.commune_code).where(Site.status == SiteStatus.published,
                                                             Site.commune_code.is_not(None))
                             .group_by(Site.commune_code).order_by(func.count().desc()).limit(n)).all()
    centres = [service.locator.centre(code) for code in codes]
    return [(lon - half[0], lat - half[1], lon + half[0], lat + half[1]) for lon, lat in centres]


def pipeline(service: Service, box) -> bytes:
    """What ``/api/sites?bbox=…&limit=500`` computes, without the web stack."""
    with service.read_session() as session:
        page, cursor = paging.find(session, SiteFilter(bbox=box), LIMIT, columns=site_json.FEATURE_COLUMNS)
    members = {"type": "FeatureCollection", "numberMatched": page.total, "numberReturned": len(page.sites),
               "total": page.total, "total_exact": page.total_exact, "limit": LIMIT, "offset": 0,
               "next_cursor": cursor.encode() if cursor else None}
    body = site_json.document(members, "features", service.pieces.features(page.sites, page.distances))
    return compression.gzip(body)  # as the server compresses


def timed(call, requests: int) -> tuple[list[float], float]:
    durations, cpu = [], time.process_time()
    for _ in range(requests):
        t0 = time.perf_counter()
        call()
        durations.append(time.perf_counter() - t0)
    return durations, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL (SQLite or PostgreSQL), at the code's schema")
    parser.add_argument("--boxes", type=int, default=20)
    parser.add_argument("--half", default="0.075,0.04", help="half width and height of a view, degrees")
    parser.add_argument("--requests", type=int, default=10, help="per box, way and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    service = Service.open(Settings(database_url=args.url, tiles="blank"))
    boxes = town_boxes(service, args.boxes, tuple(map(float, args.half.split(","))))
    port = free_port()
    bare, http = [], []
    bare_cpu = http_cpu = 0.0
    print(f"load average at the start: {os.getloadavg()[0]:.1f}", flush=True)
    with serve(carto_command(port), {"CARTO_DATABASE_URL": args.url, "CARTO_TILES": "blank"}, port,
               "/api/territories") as process, httpx.Client(
            base_url=f"http://127.0.0.1:{port}", timeout=60,
            headers={"Accept-Encoding": "gzip", "Cache-Control": "no-cache"}) as client:
        paths = [f"/api/sites?bbox={','.join(map(repr, box))}&limit={LIMIT}" for box in boxes]
        for box, path in zip(boxes, paths):  # warm-up of both, and the same sites from both
            answer = client.get(path).json()
            assert answer["numberReturned"] == len(json.loads(gzip.decompress(pipeline(service, box)))["features"])
        for _ in range(args.rounds):
            for box, path in zip(boxes, paths):
                durations, cpu = timed(lambda: pipeline(service, box), args.requests)
                bare += durations
                bare_cpu += cpu
                before = cpu_seconds(process.pid)
                durations, _ = timed(lambda: client.get(path).raise_for_status(), args.requests)
                http += durations
                http_cpu += cpu_seconds(process.pid) - before
    count = len(boxes) * args.requests * args.rounds
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"{len(boxes)} town views, {count} requests each way, {LIMIT} GeoJSON features at most")
    print("| way | p50 ms | p95 ms | CPU ms |\n|---|---:|---:|---:|")
    for name, durations, cpu in (("bare pipeline (in process)", bare, bare_cpu), ("over HTTP", http, http_cpu)):
        print(f"| {name} | {statistics.median(durations) * 1000:.1f} | "
              f"{sorted(durations)[int(0.95 * (len(durations) - 1))] * 1000:.1f} | {cpu / count * 1000:.1f} |")
    print(f"ratio of the medians, HTTP / bare: {statistics.median(http) / statistics.median(bare):.2f}; "
          f"of CPU: {http_cpu / bare_cpu:.2f}")


if __name__ == "__main__":
    main()
