"""Read API of sites: GeoJSON for everyone, a compact format for the map."""
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response

from carto.directory import site_json

from carto.query import paging
from carto.api.deps import ServiceDep, FilterDep, RowId, SessionDep, bad_request, error_detail

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


LIST_DESCRIPTION = """
Les filtres se combinent (ET) ; plusieurs activités ou domaines s'additionnent (OU). `total` compte
tous les sites retenus, au-delà de la page, jusqu'à 1 000 : au-delà, `total_exact` vaut `false` et
`total` (1 000) est un minimum. Avec `q`, les sites dont le nom contient les mots viennent d'abord,
puis ceux dont les activités y répondent, puis les autres, chaque groupe par nom ; sans `q`, par nom.

* **Erreurs** : une valeur invalide donne 400 ou 422, et un code de commune, d'EPCI, de pays, de
  département ou un pôle **inconnu** donne 404 ; le message nomme le paramètre. Un territoire connu
  sans site donne une liste vide : une faute de frappe ne passe jamais pour « aucun site ici ».
* **Pagination** : `offset`, ou `cursor` = `next_cursor` de la page précédente (`next` en donne
  l'URL) ; un curseur reste juste quand des sites sont ajoutés entre deux pages.
* **Cache** : ETag faible (If-None-Match → 304), `Cache-Control: public, max-age=60` ; CORS ouvert.
"""


@router.get("/sites", summary="Sites publiés (GeoJSON ou format compact), filtrés et paginés",
            description=LIST_DESCRIPTION)
def list_sites(request: Request, service: ServiceDep, session: SessionDep, f: FilterDep,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Nombre de sites par page")] = 100,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
               cursor: Annotated[str | None, Query(max_length=500, description="« next_cursor » de la page "
                                                   "précédente (à la place d'offset)")] = None,
               format: Annotated[Literal["geojson", "compact"], Query(
                   description="compact : [id, lon, lat, nom, activités] par site, pour la carte")] = "geojson"):
    compact = format == "compact"
    try:
        page, next_cursor = paging.find(session, f, limit, offset, _cursor(cursor, offset),
                                        columns=site_json.MARKER_COLUMNS if compact else site_json.FEATURE_COLUMNS)
    except paging.BadCursor as e:
        raise bad_request("cursor", str(e)) from None
    token = next_cursor.encode() if next_cursor else None
    paging_members = {"total": page.total, "total_exact": page.total_exact, "limit": limit, "offset": None if cursor else offset,
                      "next_cursor": token,
                      "next": str(request.url.remove_query_params("offset").include_query_params(cursor=token))
                      if token else None}
    # The sites' stored JSON, put together (carto.directory.site_json): a page of 1,000 markers is the map's
    # hottest request, and 500 features built field by field cost more than the rest of it.
    pieces = service.pieces
    if compact:
        body = site_json.document(paging_members, "sites", pieces.markers(page.sites))
    else:
        members = {"type": "FeatureCollection", **({"numberMatched": page.total} if page.total_exact else {}),
                   "numberReturned": len(page.sites)}
        body = site_json.document(members | paging_members, "features", pieces.features(page.sites, page.distances))
    return Response(body, media_type="application/json")


@router.get("/sites/{site_id}", summary="Un site publié (GeoJSON Feature)")
def get_site(site_id: RowId, service: ServiceDep, session: SessionDep):
    feature = site_json.published_feature(session, service.pieces, site_id)
    if feature is None:
        raise HTTPException(404, detail=error_detail("path", "site_id", f"site {site_id} introuvable", "not_found"))
    return Response(feature, media_type="application/json")
