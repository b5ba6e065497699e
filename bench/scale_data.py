"""Benchmark databases: 10,000 to 1,000,000 generated sites, on SQLite or PostgreSQL + PostGIS.

    python bench/scale_data.py --sites 100000 --region bretagne --url sqlite:////tmp/carto-bench/b100k.db
    python bench/scale_data.py --sites 1000000 --region france --url postgresql://postgres@127.0.0.1:PORT/carto_test

Brittany: sites spread over the communes by population (``common.generate``), placed in their
commune like any write. France: sites around the larger towns by population plus a rural
background inside a rough outline of metropolitan France; outside Brittany they have no commune
(``outside_territory``), as in a national instance loaded with Brittany's territories only.
Everything is written through ``carto.directory.bulk`` (indexes and one history version per site).
"""
import argparse
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BATCH, KINDS, cluster_cpu_seconds, generate  # noqa: E402
from carto.territory import poles  # noqa: E402
from carto.directory import batch_writer, bootstrap, bulk  # noqa: E402
from carto.directory.service import Service  # noqa: E402
from carto.storage.models import Site  # noqa: E402
from sqlmodel import func, select  # noqa: E402
from carto.core.settings import Settings  # noqa: E402
from carto.directory.site_schema import SiteData  # noqa: E402

# Larger French towns (lon, lat, population in thousands, urban area order of magnitude).
TOWNS = [
    ("Paris", 2.35, 48.86, 10800), ("Lyon", 4.84, 45.76, 2300), ("Marseille", 5.37, 43.30, 1900),
    ("Toulouse", 1.44, 43.60, 1450), ("Lille", 3.06, 50.63, 1500), ("Bordeaux", -0.58, 44.84, 1350),
    ("Nice", 7.26, 43.70, 1000), ("Nantes", -1.55, 47.22, 1000), ("Strasbourg", 7.75, 48.58, 850),
    ("Montpellier", 3.88, 43.61, 800), ("Rennes", -1.68, 48.11, 750), ("Grenoble", 5.72, 45.19, 700),
    ("Rouen", 1.10, 49.44, 650), ("Toulon", 5.93, 43.12, 620), ("Tours", 0.69, 47.39, 500),
    ("Nancy", 6.18, 48.69, 430), ("Clermont-Ferrand", 3.08, 45.78, 500), ("Saint-Étienne", 4.39, 45.44, 520),
    ("Orléans", 1.91, 47.90, 440), ("Caen", -0.37, 49.18, 470), ("Angers", -0.55, 47.47, 430),
    ("Dijon", 5.04, 47.32, 390), ("Metz", 6.18, 49.12, 390), ("Reims", 4.03, 49.26, 320),
    ("Le Havre", 0.11, 49.49, 290), ("Brest", -4.49, 48.39, 320), ("Le Mans", 0.20, 48.00, 350),
    ("Amiens", 2.30, 49.89, 300), ("Limoges", 1.26, 45.83, 290), ("Perpignan", 2.90, 42.70, 330),
    ("Besançon", 6.02, 47.24, 280), ("Poitiers", 0.34, 46.58, 270), ("Pau", -0.37, 43.30, 240),
    ("Bayonne", -1.47, 43.49, 300), ("Avignon", 4.81, 43.95, 340), ("Mulhouse", 7.34, 47.75, 290),
    ("La Rochelle", -1.15, 46.16, 220), ("Lorient", -3.37, 47.75, 210), ("Vannes", -2.76, 47.66, 170),
    ("Quimper", -4.10, 48.00, 130), ("Saint-Brieuc", -2.76, 48.51, 150), ("Annecy", 6.13, 45.90, 240),
]
FRANCE = shapely.Polygon([  # rough outline of metropolitan France (without Corsica)
    (-1.78, 43.36), (-1.25, 44.65), (-1.20, 46.15), (-2.25, 47.10), (-4.75, 47.85), (-4.78, 48.55),
    (-3.00, 48.85), (-1.60, 48.65), (-1.40, 49.70), (0.10, 49.45), (1.55, 50.10), (2.55, 51.08),
    (4.20, 49.95), (5.85, 49.50), (8.20, 48.95), (7.55, 47.55), (6.85, 47.40), (6.10, 46.20),
    (7.00, 45.90), (6.90, 44.40), (7.50, 43.78), (6.20, 43.05), (4.20, 43.45), (3.05, 42.45),
    (1.70, 42.50), (-0.70, 42.85), (-1.78, 43.36)])
RURAL_SHARE = 0.35


def settings(url: str) -> Settings:
    return Settings(database_url=url, tiles="blank")


def reference(url: str) -> Service:
    """An empty database (new SQLite file, or an empty PostgreSQL one) with territories and pôles."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    service = Service.open(settings(url))
    bootstrap.load_territories(service)
    bootstrap.load_poles(service, service.settings.geodata / poles.POLES_TABLE)
    return service


def france_points(n: int, rng: np.random.Generator) -> np.ndarray:
    """Points around towns (normal spread growing with the town) and a uniform rural background."""
    towns = np.array([(lon, lat, pop) for _, lon, lat, pop in TOWNS])
    urban = int(n * (1 - RURAL_SHARE))
    which = rng.choice(len(towns), size=urban, p=towns[:, 2] / towns[:, 2].sum())
    spread = 0.04 * np.sqrt(towns[which, 2] / 100)  # degrees: Paris ≈ 0.4°, a small town ≈ 0.05°
    around = towns[which, :2] + rng.normal(size=(urban, 2)) * spread[:, None] * [1.4, 1.0]
    west, south, east, north = FRANCE.bounds
    rural = np.empty((0, 2))
    shapely.prepare(FRANCE)
    while len(rural) < n - urban:
        xy = np.column_stack([rng.uniform(west, east, n), rng.uniform(south, north, n)])
        rural = np.vstack([rural, xy[shapely.contains_xy(FRANCE, xy[:, 0], xy[:, 1])]])
    return np.vstack([around, rural[:n - urban]])


def france_sites(service: Service, n: int, seed: int = 2024) -> Iterator[list[SiteData]]:
    """Batches of fictional sites over France, with the attributes of ``common.generate``."""
    rng = np.random.default_rng(seed)
    activities = [a.slug for d in service.taxonomy.domains if d.is_open() for a in d.activities]
    points = np.round(france_points(n, rng), 6)
    for start in range(0, n, BATCH):
        batch = []
        for i in range(start, min(n, start + BATCH)):
            kinds = rng.choice(activities, size=1 + int(rng.random() < 0.3), replace=False)
            batch.append(SiteData(
                name=f"[Démo] {KINDS[i % len(KINDS)]} n° {i}", activities=list(kinds),
                lon=float(points[i, 0]), lat=float(points[i, 1]),
                description="Site fictif généré pour les mesures de performance.",
                siae=bool(rng.random() < 0.2), ea_esat=bool(rng.random() < 0.08)))
        yield batch


def brittany_sites(service: Service, n: int) -> Iterator[list[SiteData]]:
    sites = generate(service, n)
    for start in range(0, n, BATCH):
        yield sites[start:start + BATCH]


@dataclass
class Generation:
    """Time spent generating the fictional sites, apart from the write path's."""
    seconds: float = 0.0
    cpu: float = 0.0


def write(service: Service, batches: Iterator[list[SiteData]], allow_outside: bool) -> tuple[int, Generation]:
    """Each batch placed (commune, EPCI, pays…) and written by ``carto.directory.bulk`` in one
    transaction (``batch_writer``: on PostgreSQL, batches N and N+1 are stored while N+2 is
    prepared); returns the sites written and the time spent generating them (Brittany's are all generated before the
    first batch is written; France's batch by batch, so that the writer may work meanwhile and the
    write path's time, without the generation's, is then a little flattered)."""
    written, generation = 0, Generation()
    with batch_writer.new_site_batches(service.engine, actor="bench") as write_batch:
        while True:
            started, cpu = time.perf_counter(), time.process_time()
            batch = next(batches, None)
            generation.seconds += time.perf_counter() - started
            generation.cpu += time.process_time() - cpu
            if batch is None:
                break
            rows = [bulk.new_row(s.model_dump(exclude={"activities"}), is_demo=True, source="bench",
                                 source_key=str(written + i), credit="Données fictives de démonstration")
                    for i, s in enumerate(batch)]
            errors = bulk.place(rows, service.locator, allow_outside=allow_outside)
            if any(errors):
                raise RuntimeError(next(e for e in errors if e))
            write_batch(rows, [s.activities for s in batch])
            written += len(batch)
    return written, generation


def build(url: str, n: int, region: str) -> dict:
    """A new benchmark database; returns its timings (s) and the write path's throughput (sites/s)
    and CPU time (s): its own, without generating the fictional sites, in this process and in the
    local PostgreSQL cluster (None on SQLite)."""
    t0 = time.perf_counter()
    service = reference(url)
    t1, cpu, server = time.perf_counter(), time.process_time(), cluster_cpu_seconds(service.engine)
    batches = france_sites(service, n) if region == "france" else brittany_sites(service, n)
    written, generation = write(service, batches, allow_outside=region == "france")
    t2, cpu = time.perf_counter(), time.process_time() - cpu - generation.cpu
    server = server and cluster_cpu_seconds(service.engine) - server
    if service.engine.dialect.name == "postgresql":
        with service.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # fresh statistics, visibility map for index-only scans
    with service.session() as session:
        stored = session.exec(select(func.count()).select_from(Site)).one()
    service.engine.dispose()
    path_s = t2 - t1 - generation.seconds
    return {"sites": stored, "reference_s": t1 - t0, "write_s": t2 - t1, "generating_s": generation.seconds,
            "path_s": path_s, "sites_per_s": written / path_s, "cpu_s": cpu, "server_cpu_s": server}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--region", choices=("bretagne", "france"), default="bretagne")
    parser.add_argument("--url", required=True, help="sqlite:////path/file.db or postgresql://…")
    args = parser.parse_args()
    r = build(args.url, args.sites, args.region)
    print(f"{r['sites']:,} sites ({args.region}) : territoires {r['reference_s']:.1f} s ; "
          f"{described(r)}".replace(",", " "))


def described(r: dict) -> str:
    """The write's figures in one line (French, as the other benchmarks print)."""
    server = "" if r["server_cpu_s"] is None else f", serveur {r['server_cpu_s']:.1f} s"
    return (f"écriture {r['path_s']:.1f} s = {r['sites_per_s']:,.0f} sites/s (sans les {r['generating_s']:.1f} s "
            f"de génération des sites fictifs) ; temps processeur : le nôtre {r['cpu_s']:.1f} s{server} ; "
            f"charge de la machine {os.getloadavg()[0]:.1f} pour {os.cpu_count()} cœurs")


if __name__ == "__main__":
    main()
