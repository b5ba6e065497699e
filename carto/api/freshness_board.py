"""The freshness dashboard (page and JSON) for administrators and each pôle, within the account's scope."""
from fastapi import APIRouter, Depends, Request, Response

from carto.api.deps import ServiceDep
from carto.api.security import ApiModerator, PageModerator, render
from carto.community import freshness_board
from carto.directory import geojson
from carto.territory import stats
from carto.views import mapview, thematic_maps

pages = APIRouter(include_in_schema=False)


def _private(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


api = APIRouter(prefix="/api/moderation", tags=["modération"], dependencies=[Depends(_private)])
# Classes of the map: share of sheets verified within twelve months.
BREAKS = (50, 70, 85, 95, 100)


def _class(percent: float | None) -> int | None:
    return None if percent is None else next(i for i, upper in enumerate(BREAKS) if percent <= upper)


def _percent(share: freshness_board.Share) -> str:
    return "—" if share.percent is None else f"{share.percent:.0f} %"


@pages.get("/moderation/fraicheur")
def board_page(request: Request, service: ServiceDep, me: PageModerator):
    with service.session() as session:
        found = freshness_board.board(session, me.scope, service.taxonomy)
        shapes = stats.geometries(session, "epci")
    features = [geojson.geometry_feature(s.code, mapview.display_geometry(shapes[s.code]), {
        "nom": s.name, "part": _percent(s), "fiches": s.total, "classe": _class(s.percent)})
        for s in found.by_epci if s.code in shapes]
    legend = [(thematic_maps.colour(i), f"{'≤' if i == 0 else f'> {BREAKS[i - 1]} % et ≤'} {upper} %")
              for i, upper in enumerate(BREAKS)]
    return render(request, "moderation/freshness.html", board=found, percent=_percent, legend=legend,
                  map=thematic_maps.choropleth(service.settings, features, [
                      ("nom", "EPCI"), ("part", "Vérifiées depuis moins d'un an"), ("fiches", "Fiches")]))


def _share(share: freshness_board.Share) -> dict:
    return {"code": share.code, "name": share.name, "total": share.total, "verified": share.verified,
            "percent": None if share.percent is None else round(share.percent, 1)}


@api.get("/freshness", summary="Part des fiches vérifiées depuis moins de 12 mois, par pôle, domaine et EPCI, "
                               "et les fiches les plus anciennes (périmètre du compte)")
def board_api(service: ServiceDep, me: ApiModerator):
    with service.session() as session:
        found = freshness_board.board(session, me.scope, service.taxonomy)
        return {"overall": _share(found.overall), "by_pole": [_share(s) for s in found.by_pole],
                "by_domain": [_share(s) for s in found.by_domain], "by_epci": [_share(s) for s in found.by_epci],
                "stalest": [{"id": s.id, "name": s.name, "commune": s.commune_name,
                             "verified_at": s.verified_at.isoformat() if s.verified_at else None,
                             "created_at": s.created_at.isoformat()} for s in found.stalest]}
