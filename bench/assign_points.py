"""Assign random points of Brittany's bounding box to communes and pôles ESS with ``carto.territory.locator``.

    python bench/assign_points.py [--points 100000] [--repeat 5] [--workdir /tmp/carto-bench]

The locator is the write path's point → commune step (shapely STRtree over the 1,202 communes,
vectorised); pôles follow from the commune. Target: 100,000 points in under a second.
"""
import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

from common import reference_db
from carto.territory.locator import Locator

BBOX = (-5.2, 47.2, -1.0, 48.9)  # west, south, east, north: land and a good deal of sea
KNOWN = {(-1.6778, 48.1173): ("35238", ("reso-solidaire",)), (-3.5736, 48.2764): ("29024", ("adesk",))}


def assign(locator: Locator, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Commune code of each point (None at sea) and the pôles covering it."""
    codes = locator.locate_many(lons, lats)
    inside = codes != None  # noqa: E711 (element-wise on an object array)
    unique, inverse = np.unique(codes[inside].astype(str), return_inverse=True)
    poles_of_unique = [locator.placement(code).poles for code in unique]
    poles: list[tuple[str, ...]] = [()] * len(codes)
    for position, k in zip(np.flatnonzero(inside), inverse):
        poles[position] = poles_of_unique[k]
    return codes, poles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/carto-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    service = reference_db(args.workdir / "reference.db")
    t0 = time.perf_counter()
    with service.session() as session:
        locator = Locator.from_db(session)
    print(f"Localisateur construit (1 202 communes, STRtree) : {time.perf_counter() - t0:.2f} s")

    for (lon, lat), expected in KNOWN.items():
        codes, poles = assign(locator, np.array([lon]), np.array([lat]))
        assert (codes[0], poles[0]) == expected, (lon, lat, codes[0], poles[0])

    rng = np.random.default_rng(2024)
    lons = rng.uniform(BBOX[0], BBOX[2], args.points)
    lats = rng.uniform(BBOX[1], BBOX[3], args.points)
    durations, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        codes, poles = assign(locator, lons, lats)
        durations.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    inside = int((codes != None).sum())  # noqa: E711
    covered = sum(1 for p in poles if p)
    best, median = min(durations), statistics.median(durations)
    print(f"{args.points} points : {inside} dans une commune ({inside / args.points:.0%}), "
          f"{covered} couverts par un pôle")
    print(f"Communes et pôles : médiane {median:.3f} s, meilleur {best:.3f} s, CPU {statistics.median(cpu):.3f} s "
          f"({args.points / median:,.0f} points/s) — objectif < 1 s : {'atteint' if median < 1 else 'manqué'}")
    print(f"Charge de la machine (load average 1 min) : {os.getloadavg()[0]:.1f} sur {os.cpu_count()} cœurs")


if __name__ == "__main__":
    main()
