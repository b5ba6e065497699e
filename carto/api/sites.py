"""Read API of sites: GeoJSON for everyone, a compact format for the map."""
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from carto import geojson, paging, search
from carto.api.deps import CartoDep, FilterDep, SessionDep, bad_request, error_detail
from carto.models import Site, SiteStatus

router = APIRouter(prefix="/api", tags=["sites"])
MAX_LIMIT = 1000


def _cursor(raw: str | None, offset: int) -> paging.Cursor | None:
    if not raw:
        return None
    if offset:
        raise bad_request("cursor", "cursor et offset ne se combinent pas : le curseur porte déjà la position")
    try:
        return paging.Cursor.decode(raw)
    except paging.BadCursor as e:
        raise bad_request("cursor", str(e)) from None


@router.get("/sites", summary="Sites publiés (GeoJSON ou format compact), filtrés et paginés")
def list_sites(request: Request, carto: CartoDep, session: SessionDep, f: FilterDep,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Nombre de sites par page")] = 100,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
               cursor: Annotated[str | None, Query(max_length=500, description="« next_cursor » de la page "
                                                   "précédente (à la place d'offset)")] = None,
               format: Annotated[Literal["geojson", "compact"], Query(
                   description="compact : [id, lon, lat, nom, activités] par site, pour la carte")] = "geojson"):
    try:
        page, next_cursor = paging.find(session, f, limit, offset, _cursor(cursor, offset))
    except paging.BadCursor as e:
        raise bad_request("cursor", str(e)) from None
    token = next_cursor.encode() if next_cursor else None
    paging_members = {"total": page.total, "limit": limit, "offset": None if cursor else offset,
                      "next_cursor": token,
                      "next": str(request.url.remove_query_params("offset").include_query_params(cursor=token))
                      if token else None}
    activities = search.activities_by_site(session, [s.id for s in page.sites])
    if format == "compact":
        return paging_members | {"sites": [geojson.compact_site(s, activities[s.id]) for s in page.sites]}
    features = [geojson.site_feature(s, activities[s.id], carto.taxonomy,
                                     **({"distance_km": page.distances[s.id]} if s.id in page.distances else {}))
                for s in page.sites]
    return geojson.collection(features, numberMatched=page.total, numberReturned=len(features), **paging_members)


@router.get("/sites/{site_id}", summary="Un site publié (GeoJSON Feature)")
def get_site(site_id: int, carto: CartoDep, session: SessionDep):
    site = session.get(Site, site_id)
    if site is None or site.status != SiteStatus.published:
        raise HTTPException(404, detail=error_detail("path", "site_id", f"site {site_id} introuvable", "not_found"))
    activities = search.activities_by_site(session, [site.id])[site.id]
    return geojson.site_feature(site, activities, carto.taxonomy)
