"""Dependencies shared by the routers: the service context, sessions, and the site filter."""
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlmodel import Session

from carto.query import params

from carto.api import http_cache
from carto.directory.service import Service
from carto.query.search import SiteFilter


# An id in a path: a number beyond the id columns' range is refused (422) rather than looked up.
RowId = Annotated[int, Path(ge=-params.MAX_ID, le=params.MAX_ID)]


def error_detail(where: str, param: str, message: str, kind: str = "value_error") -> list[dict]:
    """FastAPI's error shape, naming the parameter at fault (``where``: query or path)."""
    return [{"loc": [where, param], "msg": message, "type": kind}]


def bad_request(param: str, message: str) -> HTTPException:
    """A 400 in FastAPI's error shape, naming the query parameter at fault."""
    return HTTPException(400, detail=error_detail("query", param, message))


def param_error(e: params.ParamError) -> HTTPException:
    kind = {404: "not_found", 409: "ambiguous"}.get(e.status, "value_error")
    return HTTPException(e.status, detail=error_detail("query", e.param, str(e), kind))


def get_service(request: Request) -> Service:
    return request.app.state.service


# The dependencies are async although they do no I/O of their own: FastAPI runs sync dependencies
# in the thread pool, and on a busy two-core machine each hop there costs more than the work itself.
async def _service(request: Request) -> Service:
    return get_service(request)


async def get_session(request: Request, service: Annotated[Service, Depends(_service)]) -> AsyncIterator[Session]:
    """The session of a read request's ETag (``carto.api.http_cache``: one connection, one version per
    request), else a new one."""
    if (shared := http_cache.session_of(request)) is not None:
        yield shared
        return
    with service.session() as session:  # connects lazily, on the first query (in the route's thread)
        yield session


ServiceDep = Annotated[Service, Depends(_service)]
SessionDep = Annotated[Session, Depends(get_session)]


def _filter_parameter(f: params.Filter) -> dict:
    """The OpenAPI description of one filter of ``params.FILTERS``: text (or a list of texts), whose
    grammar ``params`` checks (``carto.api.openapi_errors`` adds it to the document)."""
    schema = ({"type": "array", "items": {"type": "string"}, "default": []} if f.repeatable
              else {"anyOf": [{"type": "string"}, {"type": "null"}]})
    return {"name": f.name, "in": "query", "required": False, "description": f.description,
            "schema": schema | {"description": f.description}}


FILTER_PARAMETERS = tuple(_filter_parameter(f) for f in params.FILTERS)


# async: it only checks names and codes in memory (a pôle by primary key), and a sync dependency would
# cost every read a trip to the thread pool. It reads its parameters from the query itself, with
# ``params`` (one grammar, its French errors): declared to FastAPI, each of the 15 would be validated
# as text first (a few per cent of a map page's CPU under py-spy) before ``params`` parses it again.
# ``QUERY_PARAMETERS`` documents them, and ``strict_query`` accepts them.
async def site_filter(request: Request, service: ServiceDep, session: SessionDep) -> SiteFilter:
    query = request.query_params
    values = {f.name: query.getlist(f.name) if f.repeatable else query.get(f.name) for f in params.FILTERS}
    try:
        return params.site_filter(service, session, values)
    except params.ParamError as e:
        raise param_error(e) from None


FilterDep = Annotated[SiteFilter, Depends(site_filter)]
# Dependencies reading query parameters FastAPI does not see, with their OpenAPI descriptions.
QUERY_PARAMETERS = {site_filter: FILTER_PARAMETERS}


def query_parameters(dependant) -> list[dict]:
    """The query parameters a route's dependencies read themselves (``QUERY_PARAMETERS``)."""
    own = list(QUERY_PARAMETERS.get(dependant.call, ()))
    return own + [p for sub in dependant.dependencies for p in query_parameters(sub)]
