"""Public GeoJSON of territories and pôles (RFC 7946: lon, lat, WGS84), and of collections.

A site's feature and marker are built by ``carto.directory.site_json`` alone. Only public fields
leave the service: never a contributor's name or e-mail.
"""
import json

import shapely
from shapely.geometry import MultiPolygon, mapping, shape

from carto.storage.models import Pole


def pole_properties(pole: Pole, n_communes: int | None = None) -> dict:
    """A pôle's public card, in the public vocabulary (French names, as a site's): its name, contact
    and how its coverage is defined."""
    props = {"nom": pole.name, "departements": pole.dep_codes, "courriel": pole.email, "telephone": pole.phone,
             "site_web": pole.website, "adresse": pole.address, "pays_couverts": pole.coverage_pays,
             "source": pole.source, "couverture": "polygone" if pole.coverage_geojson else "pays"}
    if n_communes is not None:
        props["n_communes"] = n_communes
    return props


def area(geometry: dict) -> dict:
    """A polygonal geometry as RFC 7946 wants it (exterior rings counter-clockwise, holes clockwise),
    and always a MultiPolygon: GDAL and QGIS type a layer by its features, so one type per collection."""
    if geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return geometry
    oriented = shapely.orient_polygons(shape(geometry))
    return mapping(MultiPolygon([oriented]) if oriented.geom_type == "Polygon" else oriented)


def geometry_feature(fid: str, geometry: str | None, properties: dict) -> dict:
    return {"type": "Feature", "id": fid, "geometry": area(json.loads(geometry)) if geometry else None,
            "properties": properties}


def collection(features: list[dict], **members) -> dict:
    return {"type": "FeatureCollection", **members, "features": features}
