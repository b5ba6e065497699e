"""Load the communes of Brittany and build the higher levels (EPCI, pays, départements).

Any commune layer readable by GDAL (GeoJSON, GeoPackage, Shapefile…) with an INSEE code column
is accepted; attributes it lacks (EPCI, pays, population…) are completed from the communes table
of the geodata directory. Higher levels are built by dissolving communes, so every level shares
the same borders.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import shapely
from sqlmodel import Session, delete

from carto.storage import freshness
from carto.storage.models import Commune, Territory

if TYPE_CHECKING:
    import geopandas as gpd

COMMUNES_LAYER = "communes_bretagne_2026.geojson"
COMMUNES_TABLE = "communes_bretagne_2026.csv"
CODE_COLUMNS = ("code", "insee_com", "code_insee", "insee", "codgeo", "com")
ATTRIBUTES = ("nom", "dep", "population", "codes_postaux", "epci_code", "epci_nom", "epci_type",
              "pays_code", "pays_nom")
DEPARTEMENTS = {"22": "Côtes-d'Armor", "29": "Finistère", "35": "Ille-et-Vilaine", "56": "Morbihan"}


class TerritoryLoadError(ValueError):
    pass


def read_communes(layer: Path, attributes: Path | None = None) -> gpd.GeoDataFrame:
    """Read a commune layer into WGS84 with our column names, completed from ``attributes``."""
    # Imported here: every ``carto`` command imports this module, and geopandas with pandas weighs
    # 45 MB of memory and a second of CPU that only a territory load needs (not an import's 500 MB).
    import geopandas as gpd
    import pandas as pd

    gdf = gpd.read_file(layer)
    gdf = _with_code_column(gdf, layer)
    if gdf.crs is None:
        raise TerritoryLoadError(f"{layer}: système de coordonnées inconnu (CRS absent)")
    gdf = gdf.to_crs(4326)
    gdf.columns = [c if c == "geometry" else c.lower() for c in gdf.columns]
    if attributes is not None and attributes.exists():
        table = pd.read_csv(attributes, dtype=str, keep_default_na=False)
        missing = [c for c in ATTRIBUTES if c not in gdf.columns]
        gdf = gdf.merge(table[["code", *missing]], on="code", how="left")
    absent = [c for c in ("nom", "dep") if c not in gdf.columns]
    if absent:
        raise TerritoryLoadError(f"{layer}: colonnes manquantes {absent} et pas de table d'attributs")
    for column in ATTRIBUTES:
        if column not in gdf.columns:
            gdf[column] = ""
        elif column != "population":
            # Missing values read as NaN: SQLite stores NULL for a NaN, PostgreSQL the text 'NaN'.
            gdf[column] = gdf[column].fillna("")
    gdf["population"] = pd.to_numeric(gdf["population"], errors="coerce").fillna(0).astype(int)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    return gdf


def _with_code_column(gdf: gpd.GeoDataFrame, layer: Path) -> gpd.GeoDataFrame:
    by_lower = {c.lower(): c for c in gdf.columns}
    for candidate in CODE_COLUMNS:
        if candidate in by_lower:
            gdf = gdf.rename(columns={by_lower[candidate]: "code"})
            gdf["code"] = gdf["code"].astype(str).str.zfill(5)
            return gdf
    raise TerritoryLoadError(
        f"{layer}: aucune colonne de code INSEE (attendu l'une de : {', '.join(CODE_COLUMNS)})")


def dissolve(communes: gpd.GeoDataFrame, key: str, name_column: str | None) -> gpd.GeoDataFrame:
    """Union of communes sharing ``key`` (empty keys: communes belonging to no such territory)."""
    grouped = communes[communes[key].astype(bool)]
    agg = {"population": "sum", "code": "count"}
    if name_column:
        agg[name_column] = "first"
    out = grouped.dissolve(by=key, aggfunc=agg).rename(columns={"code": "n_communes"})
    return out.reset_index()


def save(session: Session, communes: gpd.GeoDataFrame) -> dict[str, int]:
    """Replace the territories stored in the database; returns counts per level."""
    freshness.bump(session, geography=True)
    session.exec(delete(Commune))
    session.exec(delete(Territory))
    centres = communes.geometry.representative_point()
    for row, centre in zip(communes.itertuples(), centres):
        session.add(Commune(
            code=row.code, name=row.nom, dep_code=str(row.dep), population=int(row.population),
            postcodes=row.codes_postaux or "", epci_code=row.epci_code or None,
            pays_code=row.pays_code or None, lon=round(centre.x, 6), lat=round(centre.y, 6),
            geometry=shapely.to_geojson(row.geometry)))
    counts = {"commune": len(communes)}
    deps = communes.assign(dep_nom=communes["dep"].map(DEPARTEMENTS).fillna(communes["dep"]))
    for level, key, name, kind in (("epci", "epci_code", "epci_nom", "epci_type"),
                                   ("pays", "pays_code", "pays_nom", None),
                                   ("departement", "dep", "dep_nom", None)):
        source = deps if level == "departement" else communes
        layer = dissolve(source, key, name)
        kinds = source.groupby(key)[kind].first() if kind else {}
        for row in layer.itertuples():
            session.add(Territory(
                level=level, code=str(getattr(row, key)), name=getattr(row, name),
                population=int(row.population), n_communes=int(row.n_communes),
                kind=kinds.get(getattr(row, key)) if kind else None,
                geometry=shapely.to_geojson(row.geometry)))
        counts[level] = len(layer)
    return counts


def load(session: Session, layer: Path, attributes: Path | None = None) -> dict[str, int]:
    if not layer.exists():
        raise TerritoryLoadError(f"couche des communes introuvable : {layer}")
    return save(session, read_communes(layer, attributes))
