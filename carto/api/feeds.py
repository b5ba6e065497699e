"""Feeds that partners follow: the change feed and the GoGoCarto-compatible elements."""
import json
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from carto.api.deps import RowId, ServiceDep, SessionDep, error_detail
from carto.api.http_cache import CORS
from carto.directory import site_json
from carto.publish import gogocarto
from carto.query import changes

router = APIRouter(prefix="/api", tags=["flux"])
STREAM_BATCH = 500
Ontology = Annotated[Literal["gogofull", "gogocompact", "gogosync"], Query(
    description="gogofull : fiches complètes ; gogocompact : [id, [nom], latitude, longitude, "
                "[activités]] ; gogosync : id et dates, pour savoir ce qui a changé")]

CHANGES_DESCRIPTION = """
Les sites créés, modifiés ou dépubliés depuis un curseur, dans l'ordre des écritures : chaque site
n'y paraît qu'une fois par page, à sa dernière écriture, publié (`feature` : sa fiche GeoJSON) ou
dépublié (`action` = `unpublished`, sans fiche). Gardez `next_since` et redemandez
`?since=<next_since>` : on reprend où l'on s'était arrêté, sans rien retélécharger.
`since=0` part du début. `has_more` dit s'il reste des changements après cette page.
"""


# Cursors are history row ids, a 32-bit integer column on PostgreSQL: a larger one is a 400 here,
# not an error of the database.
MAX_CURSOR = 2**31 - 1


@router.get("/changes", summary="Flux des changements de sites depuis un curseur", description=CHANGES_DESCRIPTION)
def list_changes(request: Request, service: ServiceDep, session: SessionDep,
                 since: Annotated[int, Query(ge=0, le=MAX_CURSOR, description="curseur : « next_since » "
                                             "de la réponse précédente, 0 pour tout")] = 0,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    page = changes.since(session, service.pieces, since, limit)
    items = [_change_json(c) for c in page.changes]
    cursor = page.next_since
    members = {"since": since, "next_since": cursor, "has_more": page.has_more,
               "next": str(request.url.include_query_params(since=cursor))}
    return Response(site_json.document(members, "changes", site_json.separated(items)), media_type="application/json")


def _change_json(change: changes.Change) -> bytes:
    head = b'{"cursor":%d,"id":%d,"action":"%s"' % (change.cursor, change.site_id, change.action.encode())
    return head + (b',"feature":%s}' % change.feature if change.feature else b"}")


@router.get("/elements.json", summary="Sites publiés au format de GoGoCarto (source d'import pour Carteco)")
def list_elements(request: Request, service: ServiceDep, session: SessionDep, ontology: Ontology = "gogofull"):
    header = gogocarto.header(session, ontology)
    base_url = str(request.base_url)

    def body():
        # Its own session: the response streams after the request's session is closed.
        with service.session() as reading:
            chunk = [site_json.document(header, "data", [])[:-2].decode()]
            for n, element in enumerate(gogocarto.elements(reading, service.taxonomy, ontology, base_url)):
                chunk.append("," + element if n else element)
                if len(chunk) >= STREAM_BATCH:  # a few hundred KB per write, not one write per site
                    yield "".join(chunk).encode()
                    chunk = []
            yield ("".join(chunk) + "]}").encode()

    return StreamingResponse(body(), media_type="application/json", headers=CORS)


@router.get("/elements/{site_id}", summary="Un site publié au format de GoGoCarto")
def get_element(request: Request, site_id: RowId, service: ServiceDep, session: SessionDep,
                ontology: Ontology = "gogofull"):
    found = list(gogocarto.elements(session, service.taxonomy, ontology, str(request.base_url), site_id))
    if not found:
        raise HTTPException(404, detail=error_detail("path", "site_id", f"site {site_id} introuvable", "not_found"))
    document = gogocarto.header(session, ontology) | {"data": json.loads(found[0])}
    return JSONResponse(document, headers=CORS)


@router.get("/taxonomy.json", summary="Domaines et activités sous la forme de la taxonomie de GoGoCarto")
def gogocarto_taxonomy(service: ServiceDep):
    return gogocarto.taxonomy_tree(service.taxonomy)
