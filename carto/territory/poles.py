"""Pôles ESS and their coverage areas.

A pôle covers a set of pays (the network's table) or an uploaded polygon, which takes precedence.
Coverage is turned into the list of communes covered (``PoleCommune``), so that filtering sites
by pôle is a join on the commune code; a commune is covered by a polygon when its inner point is.
"""
import csv
import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from sqlalchemy import Row, func
from sqlmodel import Session, delete, select

from carto.storage import freshness
from carto.storage.models import Commune, Pole, PoleCommune, Site, SiteStatus, SiteTally, utcnow

POLES_TABLE = "poles_ess_bretagne.csv"


class PoleError(ValueError):
    pass


# Columns of a pôles table → Pole attributes (the coverage polygon and computed geometry are not in it).
CSV_COLUMNS = {"nom": "name", "pays_codes": "coverage_pays", "departements": "dep_codes", "source": "source",
               "email": "email", "telephone": "phone", "site_web": "website", "adresse": "address"}


def read_csv(path: Path) -> tuple[list[Pole], list[str]]:
    """The pôles of a table, and the Pole attributes its columns give."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    required = {"pole_id", "nom", "pays_codes"}
    if not rows or not required <= set(rows[0]):
        raise PoleError(f"{path}: colonnes attendues {sorted(required)}")
    given = [attribute for column, attribute in CSV_COLUMNS.items() if column in rows[0]]
    return [Pole(id=r["pole_id"].strip(), name=r["nom"].strip(),
                 coverage_pays=[p.strip().zfill(2) for p in r["pays_codes"].split("|") if p.strip()],
                 dep_codes=r.get("departements", ""), source=r.get("source") or None,
                 email=r.get("email") or None, phone=r.get("telephone") or None,
                 website=r.get("site_web") or None, address=r.get("adresse") or None)
            for r in rows], given


def load_csv(session: Session, path: Path) -> int:
    """Create or update the pôles of a table — every column the table has; other pôles are kept —
    then recompute coverage."""
    table, given = read_csv(path)
    freshness.bump(session, geography=True)
    for pole in table:
        existing = session.get(Pole, pole.id)
        if existing:
            for name in given:
                setattr(existing, name, getattr(pole, name))
            existing.updated_at = utcnow()
        else:
            session.add(pole)
    session.flush()
    return recompute_coverage(session)


def parse_polygon(geojson: str) -> shapely.Geometry:
    """A (Multi)Polygon from GeoJSON text: a geometry, a Feature or a FeatureCollection."""
    try:
        data = json.loads(geojson)
        if data.get("type") == "FeatureCollection":
            geoms = [shapely.geometry.shape(f["geometry"]) for f in data.get("features", [])]
            geom = shapely.union_all(geoms) if geoms else None
        elif data.get("type") == "Feature":
            geom = shapely.geometry.shape(data["geometry"])
        else:
            geom = shapely.geometry.shape(data)
    except json.JSONDecodeError as e:
        raise PoleError(f"GeoJSON illisible : {e}") from None
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, shapely.errors.ShapelyError):
        raise PoleError("GeoJSON illisible : ce n'est ni une géométrie, ni un objet (Feature), "
                        "ni une collection d'objets (FeatureCollection)") from None
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise PoleError("la zone de couverture doit être un polygone (Polygon ou MultiPolygon)")
    return shapely.make_valid(geom)


def set_coverage(session: Session, pole_id: str, pays: list[str] | None = None,
                 geojson: str | None = None) -> Pole:
    pole = session.get(Pole, pole_id)
    if pole is None:
        raise PoleError(f"pôle inconnu : « {pole_id} »")
    # Only the geometry is kept: an uploaded file's properties (names, anything) are never stored,
    # so they can reach no page.
    area = shapely.to_geojson(parse_polygon(geojson)) if geojson is not None else None
    freshness.bump(session, geography=True)
    pole.coverage_pays, pole.coverage_geojson = list(pays or []), area
    session.add(pole)
    session.flush()
    recompute_coverage(session)
    return pole


def covered_communes(pole: Pole, communes: list[Commune]) -> list[Commune]:
    if pole.coverage_geojson:
        area = parse_polygon(pole.coverage_geojson)
        shapely.prepare(area)
        return [c for c in communes if area.contains(shapely.Point(c.lon, c.lat))]
    pays = set(pole.coverage_pays)
    return [c for c in communes if c.pays_code in pays]


def recompute_coverage(session: Session) -> int:
    """Rebuild every pôle's commune list and geometry; returns the number of links."""
    freshness.bump(session, geography=True)
    communes = list(session.exec(select(Commune)))
    shapes = dict(zip((c.code for c in communes), shapely.from_geojson([c.geometry for c in communes])))
    session.exec(delete(PoleCommune))
    links = 0
    for pole in session.exec(select(Pole)).all():
        covered = covered_communes(pole, communes)
        for commune in covered:
            session.add(PoleCommune(pole_id=pole.id, commune_code=commune.code))
        links += len(covered)
        if pole.coverage_geojson:
            pole.geometry = shapely.to_geojson(parse_polygon(pole.coverage_geojson))
        elif covered:
            pole.geometry = shapely.to_geojson(shapely.union_all([shapes[c.code] for c in covered]))
        else:
            pole.geometry = None
        session.add(pole)
    session.flush()
    return links


def poles_by_commune(session: Session) -> dict[str, tuple[str, ...]]:
    """The pôles covering each covered commune (sorted ids), as the locator's placements give them."""
    covering: dict[str, list[str]] = {}
    for pole_id, code in session.exec(select(PoleCommune.pole_id, PoleCommune.commune_code)):
        covering.setdefault(code, []).append(pole_id)
    return {code: tuple(sorted(ids)) for code, ids in covering.items()}


def communes_of(session: Session, pole_id: str) -> list[str]:
    return list(session.exec(select(PoleCommune.commune_code).where(PoleCommune.pole_id == pole_id)))


# What the pôles' index and the coverage report show of a pôle and of a commune: rows of a few
# columns, where ORM objects cost two thirds of those pages (1,300 communes made into objects each time).
POLE_COLUMNS = (Pole.id, Pole.name, Pole.coverage_geojson, Pole.coverage_pays)
COMMUNE_COLUMNS = (Commune.code, Commune.name, Commune.population)


@dataclass
class PoleSummary:
    pole: Row  # POLE_COLUMNS
    communes: int
    population: int
    sites: int


@dataclass
class OutsideSite:
    id: int
    name: str
    commune_name: str  # empty outside every commune
    sort_name: str


@dataclass
class CoverageReport:
    poles: list[PoleSummary]
    uncovered: list[Row]  # COMMUNE_COLUMNS, by code
    covered_twice: list[tuple[Row, list[str]]]
    sites_outside: list[OutsideSite]  # the first ``listed`` of them in name order
    outside_count: int


LISTED_OUTSIDE = 100  # a national directory has hundreds of thousands of sites outside Brittany's pôles


def summaries(session: Session, communes_of_poles: dict[str, list[str]] | None = None,
              communes: dict[str, Row] | None = None) -> list[PoleSummary]:
    """Every pôle by name, with its communes, population and published sites (the /poles index)."""
    communes_of_poles = _communes_by_pole(session) if communes_of_poles is None else communes_of_poles
    communes = _communes(session) if communes is None else communes
    site_counts = published_per_commune(session)
    found = []
    for pole in session.exec(select(*POLE_COLUMNS).order_by(Pole.name)):
        codes = communes_of_poles.get(pole.id, [])
        found.append(PoleSummary(pole, len(codes), sum(communes[c].population for c in codes if c in communes),
                                 sum(site_counts.get(c, 0) for c in codes)))
    return found


def _communes_by_pole(session: Session) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for pole_id, code in session.exec(select(PoleCommune.pole_id, PoleCommune.commune_code)):
        found.setdefault(pole_id, []).append(code)
    return found


def _communes(session: Session) -> dict[str, Row]:
    return {c.code: c for c in session.exec(select(*COMMUNE_COLUMNS).order_by(Commune.code))}


def published_per_commune(session: Session) -> dict[str | None, int]:
    """Published sites by commune code (``None``: outside every commune), added up from the counts
    the write path keeps (``carto.storage.tallies``), and kept for the data version."""
    return freshness.per_version(session, ("sites per commune",), lambda: {
        code or None: sites for code, sites in session.exec(
            select(SiteTally.code, func.sum(SiteTally.count))
            .where(SiteTally.level == "commune", SiteTally.count > 0).group_by(SiteTally.code))})


def coverage_report(session: Session, listed: int | None = LISTED_OUTSIDE) -> CoverageReport:
    """The pôles' coverage, its gaps and overlaps, and the published sites outside every pôle's area:
    their number and the first ``listed`` of them in name order (``None``: all of them)."""
    communes_of_poles = _communes_by_pole(session)
    by_commune: dict[str, list[str]] = {}
    for pole_id, codes in communes_of_poles.items():
        for code in codes:
            by_commune.setdefault(code, []).append(pole_id)
    communes = _communes(session)
    uncovered = [c for code, c in communes.items() if code not in by_commune]
    site_counts = published_per_commune(session)
    peopled = [c.code for c in uncovered if site_counts.get(c.code)]
    return CoverageReport(
        poles=summaries(session, communes_of_poles, communes),
        uncovered=uncovered,
        covered_twice=[(communes[code], sorted(p)) for code, p in sorted(by_commune.items())
                       if len(p) > 1 and code in communes],
        sites_outside=_first_outside(session, peopled, listed),
        outside_count=site_counts.get(None, 0) + sum(site_counts[code] for code in peopled))


def _first_outside(session: Session, commune_codes: list[str], listed: int | None) -> list[OutsideSite]:
    """The first ``listed`` published sites in name order with no commune or in one of
    ``commune_codes`` (the uncovered communes holding sites: a short list, the gaps the report
    is for). Each part walks its range of the commune index in name order and stops there: a test
    of every published site against the covered communes read the whole table (over a minute at
    1,000,000 sites), and SQLite walks the whole name index for a list of communes."""
    published = (select(Site.id, Site.name, Site.commune_name, Site.sort_name)
                 .where(Site.status == SiteStatus.published).order_by(Site.sort_name, Site.id).limit(listed))
    found = list(session.exec(published.where(Site.commune_code.is_(None))))
    for code in commune_codes:
        found += session.exec(published.where(Site.commune_code == code))
    ordered = sorted(found, key=lambda row: (row.sort_name, row.id))
    return [OutsideSite(*row) for row in ordered[:listed]]
