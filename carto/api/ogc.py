"""OGC API – Features under /ogc: translates HTTP to ``carto.publish.ogc`` and renders JSON or HTML."""
from collections.abc import Callable
from urllib.parse import quote

import pydantic_core
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from carto.directory import site_json

from carto.publish import ogc
from carto.api.templates import page
from carto.api.deps import ServiceDep, SessionDep
from carto.api.json_response import FastJSONResponse

PREFIX = "/ogc"
router = APIRouter(prefix=PREFIX, include_in_schema=False)  # described by its own OpenAPI 3.0, /ogc/api
def _serve(request: Request, path: str, call: Callable[[ogc.Request], ogc.Response]) -> Response:
    req = ogc.Request(str(request.base_url).rstrip("/") + PREFIX, quote(path),
                      list(request.query_params.multi_items()), request.headers.get("accept", ""))
    try:
        answer = call(req)
    except ogc.OGCError as e:
        if _format_or_json(req) == "html":
            return _page(request, "error", {"error": e}, e.status)
        return JSONResponse(e.body(), status_code=e.status)
    if answer.format == "html":
        document = answer.document
        if answer.features is not None:
            document = document | {"features": pydantic_core.from_json(site_json.listed(answer.features))}
        return _page(request, answer.template, {"doc": document, **answer.context})
    if answer.features is not None:
        return Response(site_json.document(answer.document, "features", answer.features),
                        media_type=answer.media_type)
    return FastJSONResponse(answer.document, media_type=answer.media_type)


def _format_or_json(req: ogc.Request) -> str:
    try:
        return ogc.negotiate(req.arg("f"), req.accept)
    except ogc.OGCError:
        return "json"


def _page(request: Request, name: str, context: dict, status: int = 200) -> Response:
    return page(request, f"ogc/{name}.html", status, **context, ogc_root=str(request.base_url).rstrip("/") + PREFIX)


@router.get("")
@router.get("/")
def landing(request: Request, service: ServiceDep, session: SessionDep):
    return _serve(request, "", lambda req: ogc.API(service).landing(req, session))


@router.get("/conformance")
def conformance(request: Request, service: ServiceDep):
    return _serve(request, "/conformance", ogc.API(service).conformance)


@router.get("/api")
def api_definition(request: Request, service: ServiceDep):
    return _serve(request, "/api", ogc.API(service).openapi)


@router.get("/collections")
def collections(request: Request, service: ServiceDep, session: SessionDep):
    return _serve(request, "/collections", lambda req: ogc.API(service).collections_list(req, session))


@router.get("/collections/{collection_id}")
def collection(collection_id: str, request: Request, service: ServiceDep, session: SessionDep):
    return _serve(request, f"/collections/{collection_id}",
                  lambda req: ogc.API(service).collection(req, session, collection_id))


@router.get("/collections/{collection_id}/queryables")
def queryables(collection_id: str, request: Request, service: ServiceDep):
    return _serve(request, f"/collections/{collection_id}/queryables",
                  lambda req: ogc.API(service).queryables(req, collection_id))


@router.get("/collections/{collection_id}/items")
def items(collection_id: str, request: Request, service: ServiceDep, session: SessionDep):
    return _serve(request, f"/collections/{collection_id}/items",
                  lambda req: ogc.API(service).items(req, session, collection_id))


@router.get("/collections/{collection_id}/items/{feature_id}")
def item(collection_id: str, feature_id: str, request: Request, service: ServiceDep, session: SessionDep):
    return _serve(request, f"/collections/{collection_id}/items/{feature_id}",
                  lambda req: ogc.API(service).item(req, session, collection_id, feature_id))
