"""The page of a pôle ESS (``/poles/{id}``): its coverage, communes, sites, contact and embeddable map."""
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select


from carto.query import sourcing

from carto.territory import poles, stats, territory_names

from carto.views import thematic_maps
from carto.api.deps import ServiceDep, SessionDep
from carto.api.pages import PageRoute, error_page, page
from carto.api.sourcing import export_links, map_markers
from carto.storage import freshness
from carto.storage.models import Commune, Pole, PoleCommune, Territory
from carto.query.sourcing import Criteria, Place

router = APIRouter(include_in_schema=False, route_class=PageRoute)
LISTED_SITES = 300  # beyond, the page sends the reader to the sourcing search of the pôle


@router.get("/poles", response_class=HTMLResponse)
def pole_index(request: Request, session: SessionDep):
    """Every pôle ESS with the territory it covers, its figures and a link to its page."""
    # The pôles' figures change with the data only: kept per data version.
    found, covered = freshness.per_version(session, ("pôles index",), lambda: _index(session))
    return page(request, "poles.html", summaries=found, covered=covered)


def _index(session: Session) -> tuple[list[poles.PoleSummary], dict[str, str]]:
    """Every pôle's summary, and the names of the pays it covers."""
    pays_names = {t.code: t.name for t in territory_names.options(session)["pays"]}
    found = poles.summaries(session)
    return found, {s.pole.id: ", ".join(pays_names[c] for c in s.pole.coverage_pays if c in pays_names)
                   for s in found}


@router.get("/poles/{pole_id}", response_class=HTMLResponse)
def pole_page(request: Request, pole_id: str, service: ServiceDep, session: SessionDep):
    pole = session.get(Pole, pole_id)
    if pole is None:
        return error_page(request, 404, [f"Aucun pôle ESS n'a l'identifiant « {pole_id} »."])
    communes = session.exec(select(Commune).join(PoleCommune, col(PoleCommune.commune_code) == Commune.code)
                            .where(PoleCommune.pole_id == pole.id).order_by(Commune.name)).all()
    pays = session.exec(select(Territory.name).where(Territory.level == "pays")
                        .where(col(Territory.code).in_(pole.coverage_pays)).order_by(Territory.name)).all()
    counts = stats.territory_stats(session, service.taxonomy, "pole", only=pole.id)[0]
    place = Place("pole", pole.id, pole.name)
    results = sourcing.run(session, Criteria(place=place))
    rows = list(sourcing.iter_rows(session, results, 0, LISTED_SITES, service.taxonomy))
    zone = f"zone={place.key}"
    return page(request, "pole.html", pole=pole, communes=communes, pays=pays, counts=counts,
                population=sum(c.population for c in communes), total=results.total,
                rows=rows, markers=map_markers(service, session, results),
                map=thematic_maps.area_map(service.settings, pole.geometry) if pole.geometry else None,
                embed_url=f"/embed?pole={pole.id}", sourcing_url=f"/sourcing?{zone}",
                exports=export_links(zone))
