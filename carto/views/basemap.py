"""A light basemap of our own, drawn from the project's geodata: no third party at all.

When tiles are off (``CARTO_TILES=blank``) or cannot load (offline), a map would be a grey void.
This gives the browser, as GeoJSON, what it needs to draw Brittany (``web/static/js/basemap.js``):
the land (the départements, whose outer edge is the coastline), the commune outlines and the main
town names, each light enough for its zoom. Built from the loaded territories, once per data
version (territories change once a year).
"""
import json

import shapely
from sqlmodel import Session, select

from carto.storage import freshness
from carto.storage.models import Commune, Territory

# ~500 m for the land seen from afar, ~100 m for commune outlines seen from zoom 9.
LAND_TOLERANCE = 0.004
COMMUNE_TOLERANCE = 0.001
PRECISION = 1e-4  # ~10 m, enough for a drawing
LAYERS = ("terre", "communes", "villes")


def layer(session: Session, name: str) -> str:
    """The GeoJSON text of one layer of the basemap (``LAYERS``), built once per data version."""
    version = freshness.data_version(session)
    if _built.get("version") != version:
        _built.clear()
        _built["version"] = version
    if name not in _built:
        _built[name] = json.dumps(BUILDERS[name](session), separators=(",", ":"))
    return _built[name]


_built: dict[str, str] = {}  # "version" and each layer built for it (a few MB at most)


def _lighter(geometry: str, tolerance: float) -> dict:
    shape = shapely.simplify(shapely.from_geojson(geometry), tolerance, preserve_topology=True)
    return json.loads(shapely.to_geojson(shapely.set_precision(shape, PRECISION)))


def _land(session: Session) -> dict:
    rows = session.exec(select(Territory.code, Territory.name, Territory.geometry)
                        .where(Territory.level == "departement")).all()
    return _collection([_feature(code, _lighter(g, LAND_TOLERANCE), {"nom": name}) for code, name, g in rows])


def _communes(session: Session) -> dict:
    rows = session.exec(select(Commune.code, Commune.geometry)).all()
    return _collection([_feature(code, _lighter(g, COMMUNE_TOLERANCE), {}) for code, g in rows])


def _towns(session: Session) -> dict:
    """Every commune's centre, name and population: the browser shows the most populous first and
    more of them as one zooms in."""
    rows = session.exec(select(Commune.code, Commune.name, Commune.population, Commune.lon, Commune.lat)
                        .order_by(Commune.population.desc())).all()
    return _collection([_feature(code, {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]},
                                 {"nom": name, "population": population})
                        for code, name, population, lon, lat in rows])


def _feature(fid: str, geometry: dict, properties: dict) -> dict:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}


def _collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


BUILDERS = {"terre": _land, "communes": _communes, "villes": _towns}
