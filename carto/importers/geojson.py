"""Reader of GeoJSON FeatureCollections, streamed feature by feature (ijson), with a mapping file.

Properties are mapped like CSV columns (``carto.importers.mapping``); the position is the
feature's geometry (a point, or a point inside any other geometry).
"""
from collections.abc import Iterator
from typing import BinaryIO

import ijson
import shapely.geometry

from carto.importers import mapping as mapping_file
from carto.importers.records import ImportFileError, Record, Skip

UNIT = "élément"


def read(stream: BinaryIO, mapping: mapping_file.FieldMapping) -> Iterator[Record | Skip]:
    yield from read_items(stream, "features.item", lambda item, n: _feature(item, n, mapping))


def read_items(stream: BinaryIO, prefix: str, convert) -> Iterator[Record | Skip]:
    """Stream the objects at ``prefix`` of a JSON document through ``convert(obj, number)``."""
    number = 0
    try:
        for number, item in enumerate(ijson.items(stream, prefix, use_float=True), start=1):
            if not isinstance(item, dict):
                yield Skip(number, "json", "un objet JSON est attendu")
                continue
            yield convert(item, number)
    except ijson.JSONError as e:
        raise ImportFileError(f"JSON mal formé après l'élément {number} : {e}") from None


def _feature(feature: dict, number: int, mapping: mapping_file.FieldMapping) -> Record | Skip:
    try:
        point = _point(feature.get("geometry"))
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as e:
        return Skip(number, "json", f"géométrie illisible ({e})")
    properties = feature.get("properties") or {}
    return mapping_file.to_record(properties, number, mapping, point=point, key=feature.get("id"))


def _point(geometry: dict | None) -> tuple[float, float] | None:
    if not geometry:
        return None
    if geometry.get("type") == "Point":
        lon, lat = geometry["coordinates"][:2]
        return float(lon), float(lat)
    point = shapely.geometry.shape(geometry).representative_point()
    return point.x, point.y
