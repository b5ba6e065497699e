"""Read API of sites: GeoJSON for everyone, a compact format for the map."""
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from carto import geojson, search
from carto.api.deps import CartoDep, FilterDep, SessionDep
from carto.models import Site, SiteStatus

router = APIRouter(prefix="/api", tags=["sites"])


@router.get("/sites", summary="Sites publiés (GeoJSON), filtrés")
def list_sites(carto: CartoDep, session: SessionDep, f: FilterDep,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
               format: Annotated[Literal["geojson", "compact"], Query()] = "geojson"):
    page = search.find(session, f, limit=limit, offset=offset)
    activities = search.activities_by_site(session, [s.id for s in page.sites])
    if format == "compact":
        return {"total": page.total, "offset": offset,
                "sites": [geojson.compact_site(s, activities[s.id]) for s in page.sites]}
    features = [geojson.site_feature(s, activities[s.id], carto.taxonomy,
                                     **({"distance_km": page.distances[s.id]} if s.id in page.distances else {}))
                for s in page.sites]
    return geojson.collection(features, numberMatched=page.total, numberReturned=len(features),
                              offset=offset, limit=limit)


@router.get("/sites/{site_id}", summary="Un site publié (GeoJSON Feature)")
def get_site(site_id: int, carto: CartoDep, session: SessionDep):
    site = session.get(Site, site_id)
    if site is None or site.status != SiteStatus.published:
        raise HTTPException(404, detail=f"site {site_id} introuvable")
    activities = search.activities_by_site(session, [site.id])[site.id]
    return geojson.site_feature(site, activities, carto.taxonomy)
