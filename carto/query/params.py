"""Public query parameters → domain objects, free of any web framework.

Shared by the JSON API (``carto.api``) and OGC API – Features (``carto.publish.ogc``): both accept the same
site filters, and a bad value gets the same French message naming the parameter, whichever door
it came through.
"""
import math
import re
from collections.abc import Iterable

from sqlmodel import Session

from carto.query import territories
from carto.directory.service import Service
from carto.storage.models import Pole
from carto.query.search import SiteFilter
from carto.core.taxonomy import UnknownActivity

# Filter parameter → territory level whose codes it takes.
TERRITORY_FILTERS = {"commune": "communes", "epci": "epci", "pays": "pays", "departement": "departements"}
TRUE, FALSE = {"true", "1", "oui", "yes"}, {"false", "0", "non", "no"}
MAX_RADIUS_KM = 1000
# Row ids and versions are INTEGER columns (32-bit on PostgreSQL): a larger number names no row, and
# must not reach the database driver, which fails on it (a 500 instead of "not found").
MAX_ID = 2**31 - 1


class ParamError(ValueError):
    """A query parameter with a value we cannot use; ``status`` is 400, or 404 for an unknown key."""

    def __init__(self, param: str, message: str, status: int = 400):
        super().__init__(message)
        self.param = param
        self.status = status


def whole_number(raw: str | None, lowest: int, highest: int) -> int | None:
    """A number of plain ASCII digits between ``lowest`` and ``highest``, else None (« ² » is a
    digit to ``str.isdigit`` but not to ``int``; a thousand digits are not worth converting)."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(highest))):
        return None
    return int(raw) if lowest <= int(raw) <= highest else None


def parse_id(text: str | None) -> int | None:
    """A row id (or version) written in a URL or a form, or None when it cannot name a row."""
    return whole_number(text, 0, MAX_ID)


def split_values(raw: Iterable[str] | str | None) -> list[str]:
    """Repeated and/or comma-separated values: ``a=x&a=y,z`` → ``[x, y, z]``."""
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else raw
    return [v.strip() for item in items for v in item.split(",") if v.strip()]


def parse_floats(param: str, raw: str, counts: tuple[int, ...]) -> list[float]:
    expected = " ou ".join(str(c) for c in counts)
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise ParamError(param, f"{expected} nombres séparés par des virgules attendus") from None
    if len(values) not in counts or not all(math.isfinite(v) for v in values):
        raise ParamError(param, f"{expected} nombres séparés par des virgules attendus")
    return values


def parse_bbox(raw: str | None, param: str = "bbox", allow_3d: bool = False) -> tuple[float, ...] | None:
    """``ouest,sud,est,nord`` in WGS84 (OGC also allows six numbers, heights being ignored here)."""
    if not raw:
        return None
    values = parse_floats(param, raw, (4, 6) if allow_3d else (4,))
    west, south, east, north = values if len(values) == 4 else (values[0], values[1], values[3], values[4])
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise ParamError(param, "coordonnées hors limites (longitude ±180, latitude ±90)")
    if west > east or south > north:
        raise ParamError(param, "ordre attendu : ouest,sud,est,nord (ouest ≤ est, sud ≤ nord)")
    return west, south, east, north


def parse_point(raw: str | None, param: str) -> tuple[float, float] | None:
    if not raw:
        return None
    lon, lat = parse_floats(param, raw, (2,))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ParamError(param, "point hors limites : lon entre -180 et 180, lat entre -90 et 90")
    return lon, lat


def parse_bool(raw: str | None, param: str) -> bool | None:
    if raw is None or raw == "":
        return None
    value = raw.strip().lower()
    if value in TRUE | FALSE:
        return value in TRUE
    raise ParamError(param, "valeur attendue : true ou false")


def parse_int(raw: str | None, param: str, default: int, minimum: int, maximum: int | None = None) -> int:
    """An integer ≥ ``minimum``; above ``maximum`` it is lowered to it (OGC: the server may return less)."""
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\s*[+-]?\d{1,12}\s*", raw):
        raise ParamError(param, "nombre entier attendu")
    value = int(raw)
    if value < minimum:
        raise ParamError(param, f"nombre entier ≥ {minimum} attendu")
    return min(value, maximum) if maximum is not None else value


def site_filter(service: Service, session: Session, *, activity=(), domain=(), q: str | None = None,
                bbox: str | None = None, commune: str | None = None, epci: str | None = None,
                pays: str | None = None, departement: str | None = None, pole: str | None = None,
                near: str | None = None, radius_km: float | None = None, siae: bool | None = None,
                ea: bool | None = None, allow_3d_bbox: bool = False) -> SiteFilter:
    """The public filter of sites. Unknown activities are a 400; unknown territories and pôles a 404:
    a mistyped code must not pass for « no site here »."""
    try:
        selected = service.taxonomy.expand(split_values(activity), [])
    except UnknownActivity as e:
        raise ParamError("activity", str(e)) from None
    try:
        selected |= service.taxonomy.expand([], split_values(domain))
    except UnknownActivity as e:
        raise ParamError("domain", str(e)) from None
    codes = {"commune": commune, "epci": epci, "pays": pays, "departement": departement}
    for param, code in codes.items():
        if code and not territories.exists(service, TERRITORY_FILTERS[param], code):
            raise ParamError(param, territories.unknown(TERRITORY_FILTERS[param], code), 404)
    if pole and session.get(Pole, pole) is None:
        raise ParamError("pole", f"pôle inconnu : « {pole} »", 404)
    point = parse_point(near, "near")
    if radius_km is not None and not (0 < radius_km <= MAX_RADIUS_KM):
        raise ParamError("radius_km", f"rayon attendu entre 0 et {MAX_RADIUS_KM} km")
    if radius_km and not point:
        raise ParamError("radius_km", "radius_km demande aussi near=lon,lat")
    return SiteFilter(activities=selected, q=q or None, bbox=parse_bbox(bbox, allow_3d=allow_3d_bbox),
                      near=point, radius_km=radius_km, pole=pole, siae=siae, ea_esat=ea, **codes)
