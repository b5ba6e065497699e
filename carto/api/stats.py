"""Territory statistics: the ``/territoires`` page (choropleth and table), its JSON, and the coverage report page."""
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func
from sqlmodel import Session, col, select

from carto.directory import bulk, geojson
from carto.directory.service import Service

from carto.territory import poles, stats, territory_names

from carto.views import mapview, thematic_maps
from carto.api.deps import ServiceDep, SessionDep, bad_request
from carto.api.pages import PageRoute, page
from carto.storage import freshness
from carto.storage.models import Commune, Pole
from carto.core.taxonomy import Taxonomy

router = APIRouter(prefix="/api/stats", tags=["statistiques"])
pages = APIRouter(include_in_schema=False, route_class=PageRoute)
Level = Literal["departement", "pays", "epci", "pole"]
ActivityQuery = Annotated[str, Query(max_length=60, description="Slug d'une activité ou d'un domaine (vide : toutes)")]


def selection(taxonomy: Taxonomy, slug: str) -> tuple[str, frozenset[str]]:
    """What ``activity`` selects (an activity or a whole domain) and how to name it."""
    if not slug:
        return "toutes activités", frozenset()
    if slug in taxonomy.activities:
        return taxonomy.activity(slug).label, frozenset({slug})
    if slug in {d.slug for d in taxonomy.domains}:
        return taxonomy.domain(slug).label, frozenset(taxonomy.expand([], [slug]))
    raise bad_request("activity", f"activité ou domaine inconnu : « {slug} »")


def french_number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")


@router.get("/{level}", summary="Sites publiés par territoire, par domaine et activité, pour 10 000 habitants")
def territory_counts(level: Level, service: ServiceDep, session: SessionDep, activity: ActivityQuery = ""):
    label, activities = selection(service.taxonomy, activity)
    rows = stats.territory_stats(session, service.taxonomy, level, activities)
    return {"level": level, "selection": label, "total": stats.region_total(session, activities),
            "territories": [{"code": r.code, "nom": r.name, "population": r.population, "sites": r.sites,
                             "per_10k": r.per_10k, "by_domain": r.by_domain, "by_activity": r.by_activity}
                            for r in rows]}


def _legend(breaks: list[float], with_no_data: bool) -> list[tuple[str, str]]:
    items = [(thematic_maps.colour(i), f"≤ {french_number(upper)}" if i == 0 else
              f"> {french_number(breaks[i - 1])} et ≤ {french_number(upper)}") for i, upper in enumerate(breaks)]
    return items + ([(thematic_maps.NO_DATA, "sans population")] if with_no_data else [])


@pages.get("/territoires", response_class=HTMLResponse)
def territories_page(request: Request, service: ServiceDep, session: SessionDep,
                     level: Annotated[Level, Query()] = "epci", activity: ActivityQuery = ""):
    label, activities = selection(service.taxonomy, activity)
    rows = stats.territory_stats(session, service.taxonomy, level, activities)
    breaks = stats.class_breaks([r.per_10k for r in rows if r.per_10k is not None])
    # The map follows the data: kept per version, level and selection (two thirds of the page's CPU:
    # every outline made a GeoJSON feature and encoded into the map's script).
    choropleth = freshness.per_version(
        session, ("territories map", level, activities, service.settings.tiles),
        lambda: _choropleth(service, session, level, rows, breaks), variant=True)
    population = session.exec(select(func.coalesce(func.sum(Commune.population), 0))).one()
    total = stats.region_total(session, activities)
    return page(request, "territoires.html", level=level, levels=stats.LEVELS, level_name=territory_names.WORDS[level].title,
                activity=activity, selection_label=label, rows=rows, total=total, population=population,
                region_per_10k=french_number(total * 10_000 / population) if population else "—",
                legend=_legend(breaks, any(r.per_10k is None for r in rows)),
                classes={r.code: stats.class_of(r.per_10k, breaks) for r in rows},
                colour=thematic_maps.colour, number=french_number,
                map=choropleth)


def _choropleth(service: Service, session: Session, level: str, rows: list[stats.TerritoryCount],
                breaks: list[float]) -> mapview.RenderedMap:
    shapes = stats.geometries(session, level)
    return thematic_maps.choropleth(service.settings, [geojson.geometry_feature(
        r.code, mapview.display_geometry(shapes[r.code]), {"nom": r.name, "sites": r.sites,
                                                            "per_10k": french_number(r.per_10k),
                                                            "classe": stats.class_of(r.per_10k, breaks)})
        for r in rows if r.code in shapes])


def _coverage_map(service: Service, session: Session, report: poles.CoverageReport) -> mapview.RenderedMap:
    pole_features = [geojson.geometry_feature(p.id, mapview.display_geometry(p.geometry), {"nom": p.name})
                     for p in session.exec(select(Pole.id, Pole.name, Pole.geometry)) if p.geometry]
    return thematic_maps.coverage_map(service.settings, pole_features,
                                      _commune_features(session, report.uncovered),
                                      _commune_features(session, [c for c, _ in report.covered_twice]))


def _commune_features(session: Session, communes) -> list[dict]:
    codes, outlines = [c.code for c in communes], {}
    for start in range(0, len(codes), bulk.READ_CHUNK):  # SQLite binds 32,766 values at most
        outlines.update(session.exec(select(Commune.code, Commune.geometry)
                                     .where(col(Commune.code).in_(codes[start:start + bulk.READ_CHUNK]))).all())
    return [geojson.geometry_feature(c.code, mapview.display_geometry(outlines[c.code], 0.0005), {"nom": c.name})
            for c in communes]


@pages.get("/territoires/couverture", response_class=HTMLResponse)
def coverage_page(request: Request, service: ServiceDep, session: SessionDep):
    # The report and its map change with the data only: kept per data version (the pôles, the
    # communes and their outlines read, 19 pôle areas drawn by folium).
    report, coverage = freshness.per_version(session, ("coverage report", service.settings.tiles),
                                             lambda: _coverage(service, session))
    pole_names = {s.pole.id: s.pole.name for s in report.poles}
    return page(request, "territoires_couverture.html", report=report, pole_names=pole_names, map=coverage,
                number=french_number)


def _coverage(service: Service, session: Session) -> tuple[poles.CoverageReport, mapview.RenderedMap]:
    report = poles.coverage_report(session)
    return report, _coverage_map(service, session, report)
