"""Benchmark: a new geography (a COG change) loaded over a database of generated sites.

    python bench/geography.py [--sites 100000] [--url sqlite:////tmp/carto-bench/geo.db] [--keep]

Builds the database (``scale_data.build``, Brittany), then loads a layer built like a January COG
with a large change: Cesson-Sévigné and Thorigné-Fouillard merged into a new code, and every commune
of Rennes Métropole moved to the EPCI and pays of Vitré (tens of thousands of sites change EPCI, pays
and pôle). Prints the time of ``carto territories load`` — read the layer, rebuild the territories
and coverage, place every site again, rewrite those that moved with a history version — its dry run,
and the sites per second. Target (issue 14): 100,000 sites in under 30 s.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scale_data  # noqa: E402
from carto.core.settings import SHARED_GEODATA  # noqa: E402
from carto.directory import bootstrap  # noqa: E402
from carto.directory.service import Service  # noqa: E402

MERGED, MERGED_FROM = "35999", ("35051", "35334")
RENNES_METROPOLE, VITRE = "243500139", "35360"


def cog_layer(path: Path) -> Path:
    layer = gpd.read_file(SHARED_GEODATA / "communes_bretagne_2026.geojson")
    merged = layer[layer["code"].isin(MERGED_FROM)]
    new = merged.iloc[[0]].copy()
    new["code"], new["nom"] = MERGED, "Commune nouvelle"
    new["geometry"] = [shapely.union_all(merged.geometry.values)]
    layer = pd.concat([layer[~layer["code"].isin(MERGED_FROM)], new], ignore_index=True)
    vitre = layer[layer["code"] == VITRE].iloc[0]
    moved = layer["epci_code"] == RENNES_METROPOLE
    for column in ("epci_code", "epci_nom", "epci_type", "pays_code", "pays_nom"):
        layer.loc[moved, column] = vitre[column]
    gpd.GeoDataFrame(layer, crs=4326).to_file(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="carto-geo-"))
    url = args.url or f"sqlite:///{work / 'geo.db'}"
    built = scale_data.build(url, args.sites, "bretagne")
    print(f"database: {built['sites']} sites; {scale_data.described(built)}")
    layer = cog_layer(work / "cog.geojson")
    service = Service.open(scale_data.settings(url))
    for dry_run in (True, False):
        started, cpu = time.perf_counter(), time.process_time()
        report = bootstrap.load_territories(service, layer, dry_run=dry_run)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"territories load{' --dry-run' if dry_run else ''}: {seconds:.1f} s for {report.sites} sites "
              f"({report.sites / seconds:.0f} sites/s, our CPU {cpu:.1f} s); {report.changed} moved "
              f"(EPCI {len(report.moves['epci_code'])}, pays {len(report.moves['pays_code'])}, "
              f"pôle {len(report.moves['poles'])}, commune {len(report.moves['commune_code'])})")
    service.engine.dispose()


if __name__ == "__main__":
    main()
