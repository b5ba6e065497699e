"""Read queries over sites: one filter object, used by the API, the map, the list and exports."""
import math
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from carto import search_index
from carto.models import PoleCommune, Site, SiteActivity, SiteStatus

EARTH_RADIUS_KM = 6371.0088


@dataclass
class SiteFilter:
    activities: set[str] = field(default_factory=set)  # already expanded from domains
    q: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north
    commune: str | None = None
    epci: str | None = None
    pays: str | None = None
    departement: str | None = None
    pole: str | None = None
    near: tuple[float, float] | None = None  # lon, lat
    radius_km: float | None = None
    siae: bool | None = None
    ea_esat: bool | None = None
    statuses: tuple[SiteStatus, ...] = (SiteStatus.published,)


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def radius_bbox(lon: float, lat: float, km: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def conditions(session: Session, f: SiteFilter, *, skip_activities: bool = False) -> list:
    """SQL conditions on Site for a filter (the radius is refined in Python, see ``find``)."""
    where = [col(Site.status).in_(f.statuses)]
    if f.activities and not skip_activities:
        where.append(col(Site.id).in_(select(SiteActivity.site_id)
                                      .where(col(SiteActivity.activity).in_(f.activities))))
    if f.q:
        clause = search_index.text_clause(session, f.q)
        if clause is not None:
            where.append(clause)
    for column, value in ((Site.commune_code, f.commune), (Site.epci_code, f.epci),
                          (Site.pays_code, f.pays), (Site.dep_code, f.departement)):
        if value:
            where.append(column == value)
    if f.pole:
        where.append(col(Site.commune_code).in_(
            select(PoleCommune.commune_code).where(PoleCommune.pole_id == f.pole)))
    for column, value in ((Site.siae, f.siae), (Site.ea_esat, f.ea_esat)):
        if value is not None:
            where.append(column == value)
    boxes = [b for b in (f.bbox, _near_box(f)) if b]
    for box in boxes:
        where.append(search_index.bbox_clause(session, *box))
    return where


def _near_box(f: SiteFilter):
    if f.near and f.radius_km:
        return radius_bbox(*f.near, f.radius_km)
    return None


@dataclass
class Page:
    total: int
    sites: list[Site]
    distances: dict[int, float] = field(default_factory=dict)  # km from ``near``


def find(session: Session, f: SiteFilter, limit: int = 100, offset: int = 0, order: str = "name") -> Page:
    """Sites matching ``f``; with ``near``, sorted by distance (and cut at ``radius_km``)."""
    where = conditions(session, f)
    if f.near:
        return _find_near(session, f, where, limit, offset)
    total = session.exec(select(func.count()).select_from(Site).where(*where)).one()
    order_by = {"name": (col(Site.name), col(Site.id)), "updated": (col(Site.updated_at).desc(), col(Site.id))}
    sites = session.exec(select(Site).where(*where).order_by(*order_by.get(order, order_by["name"]))
                         .offset(offset).limit(limit)).all()
    return Page(total, list(sites))


def _find_near(session, f, where, limit, offset) -> Page:
    rows = session.exec(select(Site.id, Site.lon, Site.lat).where(*where)).all()
    lon, lat = f.near
    dist = {r.id: distance_km(lon, lat, r.lon, r.lat) for r in rows}
    if f.radius_km:
        dist = {k: d for k, d in dist.items() if d <= f.radius_km}
    ordered = sorted(dist, key=lambda k: (dist[k], k))
    ids = ordered[offset:offset + limit]
    by_id = {s.id: s for s in session.exec(select(Site).where(col(Site.id).in_(ids)))}
    return Page(len(ordered), [by_id[i] for i in ids], {i: round(dist[i], 3) for i in ids})


def activity_counts(session: Session, f: SiteFilter) -> dict[str, int]:
    """Number of matching sites per activity, ignoring the activity filter itself (facets)."""
    where = conditions(session, f, skip_activities=True)
    query = (select(SiteActivity.activity, func.count()).join(Site, Site.id == SiteActivity.site_id)
             .where(*where).group_by(SiteActivity.activity))
    if f.near and f.radius_km:
        ids = set(_find_near(session, f, where, 10**9, 0).distances)
        query = query.where(col(Site.id).in_(ids))
    return dict(session.exec(query).all())


def activities_by_site(session: Session, site_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in site_ids}
    for link in session.exec(select(SiteActivity).where(col(SiteActivity.site_id).in_(site_ids))
                             .order_by(SiteActivity.activity)):
        out[link.site_id].append(link.activity)
    return out

