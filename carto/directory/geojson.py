"""Public representations of sites and territories (RFC 7946 GeoJSON: lon, lat, WGS84).

Only public fields leave the service: never a contributor's name or e-mail.
"""
import json
import operator

import shapely
from shapely.geometry import MultiPolygon, mapping, shape
from datetime import date, datetime
from enum import Enum

from carto.directory import reserved_status
from carto.storage.models import Pole, Site
from carto.core.taxonomy import Taxonomy

PUBLIC_FIELDS = ("name", "description", "street", "postcode", "commune_code", "commune_name",
                 "epci_code", "pays_code", "dep_code", "position_precision", "website", "email",
                 "phone", "opening_hours", "siret", "legal_form", "siae", "ea_esat",
                 "serves_individuals", "serves_professionals", "labels", "status", "is_demo",
                 "source", "credit", "verified_at", "updated_at", "version", "ess")


def json_value(value):
    """A column value as pydantic's JSON mode writes it (``Site.model_dump(mode="json")``)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    return value


# Columns read to write the public fields: PUBLIC_FIELDS as they are, then the verifications of the
# reserved statuses, published as fields of their own (reserved_status.PUBLIC_FIELDS).
READ_FIELDS = (*PUBLIC_FIELDS, *reserved_status.COLUMNS)
_public_values = operator.attrgetter(*READ_FIELDS)
# Public fields whose values are not JSON as read (enums, dates); the others are copied as they are.
# A field missing here fails tests/test_geojson.py, which compares with pydantic's JSON mode.
_CONVERTED = ("position_precision", "legal_form", "status", "verified_at", "updated_at")


def public_properties(values) -> dict:
    """The public fields of a site as JSON values, from its values in ``READ_FIELDS`` order."""
    read = dict(zip(READ_FIELDS, values))
    props = {name: read[name] for name in PUBLIC_FIELDS}
    for name in _CONVERTED:
        props[name] = json_value(props[name])
    return props | reserved_status.public_fields(read)


def site_properties(site: Site, activities: list[str], taxonomy: Taxonomy) -> dict:
    props = public_properties(_public_values(site))
    props["activities"] = activities
    props["domains"] = sorted({taxonomy.activity(a).domain for a in activities if a in taxonomy.activities})
    return props


def site_feature(site: Site, activities: list[str], taxonomy: Taxonomy, **extra) -> dict:
    return {"type": "Feature", "id": site.id,
            "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
            "properties": site_properties(site, activities, taxonomy) | extra}


def compact_site(site: Site, activities: list[str]) -> list:
    """The map's marker payload: [id, lon, lat, name, activities]."""
    return [site.id, round(site.lon, 5), round(site.lat, 5), site.name, activities]


def pole_properties(pole: Pole, n_communes: int | None = None) -> dict:
    """A pôle's public card: its name, contact and how its coverage is defined."""
    props = {"nom": pole.name, "departements": pole.dep_codes,
             **pole.model_dump(include={"email", "phone", "website", "address", "coverage_pays", "source"})}
    props["coverage"] = "polygone" if pole.coverage_geojson else "pays"
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
