"""Dependencies shared by the routers: the service context, sessions, and the site filter."""
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from sqlmodel import Session

from carto.context import Carto
from carto.models import Pole
from carto.search import SiteFilter
from carto.taxonomy import UnknownActivity


def bad_request(param: str, message: str) -> HTTPException:
    """A 400 in FastAPI's error shape, naming the query parameter at fault."""
    return HTTPException(400, detail=[{"loc": ["query", param], "msg": message, "type": "value_error"}])


def get_carto(request: Request) -> Carto:
    return request.app.state.carto


def get_session(carto: Annotated[Carto, Depends(get_carto)]) -> Iterator[Session]:
    with carto.session() as session:
        yield session


CartoDep = Annotated[Carto, Depends(get_carto)]
SessionDep = Annotated[Session, Depends(get_session)]


def parse_floats(param: str, raw: str, count: int) -> list[float]:
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise bad_request(param, f"{count} nombres séparés par des virgules attendus") from None
    if len(values) != count or any(v != v or abs(v) == float("inf") for v in values):
        raise bad_request(param, f"{count} nombres séparés par des virgules attendus")
    return values


def parse_bbox(raw: str | None, param: str = "bbox") -> tuple[float, float, float, float] | None:
    if not raw:
        return None
    west, south, east, north = parse_floats(param, raw, 4)
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise bad_request(param, "coordonnées hors limites (longitude ±180, latitude ±90)")
    if west > east or south > north:
        raise bad_request(param, "ordre attendu : ouest,sud,est,nord (ouest ≤ est, sud ≤ nord)")
    return west, south, east, north


def parse_point(raw: str | None, param: str) -> tuple[float, float] | None:
    if not raw:
        return None
    lon, lat = parse_floats(param, raw, 2)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise bad_request(param, "point hors limites : lon entre -180 et 180, lat entre -90 et 90")
    return lon, lat


def site_filter(
    carto: CartoDep,
    session: SessionDep,
    activity: Annotated[list[str], Query(description="Slug d'activité (répétable)")] = [],
    domain: Annotated[list[str], Query(description="Slug de domaine (répétable)")] = [],
    q: Annotated[str | None, Query(max_length=200, description="Recherche plein texte")] = None,
    bbox: Annotated[str | None, Query(description="ouest,sud,est,nord (WGS84)")] = None,
    commune: Annotated[str | None, Query(max_length=5)] = None,
    epci: Annotated[str | None, Query(max_length=9)] = None,
    pays: Annotated[str | None, Query(max_length=2)] = None,
    departement: Annotated[str | None, Query(max_length=3)] = None,
    pole: Annotated[str | None, Query(max_length=80)] = None,
    near: Annotated[str | None, Query(description="lon,lat : tri par distance")] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=1000)] = None,
    siae: bool | None = None,
    ea: bool | None = None,
) -> SiteFilter:
    activities = [a for raw in activity for a in raw.split(",") if a]
    domains = [d for raw in domain for d in raw.split(",") if d]
    try:
        selected = carto.taxonomy.expand(activities, [])
    except UnknownActivity as e:
        raise bad_request("activity", str(e)) from None
    try:
        selected |= carto.taxonomy.expand([], domains)
    except UnknownActivity as e:
        raise bad_request("domain", str(e)) from None
    point = parse_point(near, "near")
    if radius_km and not point:
        raise bad_request("radius_km", "radius_km demande aussi near=lon,lat")
    if pole and session.get(Pole, pole) is None:
        raise HTTPException(404, detail=[{"loc": ["query", "pole"], "msg": f"pôle inconnu : « {pole} »",
                                          "type": "not_found"}])
    return SiteFilter(activities=selected, q=q, bbox=parse_bbox(bbox), commune=commune, epci=epci,
                      pays=pays, departement=departement, pole=pole, near=point, radius_km=radius_km,
                      siae=siae, ea_esat=ea)


FilterDep = Annotated[SiteFilter, Depends(site_filter)]
