"""Dependencies shared by the routers: the service context, sessions, and the site filter."""
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlmodel import Session

from carto.query import params

from carto.storage import freshness
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
    return HTTPException(e.status, detail=error_detail("query", e.param, str(e),
                                                       "not_found" if e.status == 404 else "value_error"))


def get_service(request: Request) -> Service:
    return request.app.state.service


# The dependencies are async although they do no I/O of their own: FastAPI runs sync dependencies
# in the thread pool, and on a busy two-core machine each hop there costs more than the work itself.
async def _service(request: Request) -> Service:
    return get_service(request)


async def get_session(request: Request, service: Annotated[Service, Depends(_service)]) -> AsyncIterator[Session]:
    with service.session() as session:  # connects lazily, on the first query (in the route's thread)
        if (version := http_cache.version_of(request)) is not None:
            freshness.answering_for(session, version)
        yield session


ServiceDep = Annotated[Service, Depends(_service)]
SessionDep = Annotated[Session, Depends(get_session)]


# async: it only checks names and codes in memory (a pôle by primary key), and a sync dependency would
# cost every read a trip to the thread pool.
async def site_filter(
    service: ServiceDep,
    session: SessionDep,
    activity: Annotated[list[str], Query(description="Slug d'activité (répétable, ou séparés par des virgules)")] = [],
    domain: Annotated[list[str], Query(description="Slug de domaine (répétable)")] = [],
    q: Annotated[str | None, Query(max_length=200, description="Recherche plein texte (accents et casse ignorés)")] = None,
    bbox: Annotated[str | None, Query(description="ouest,sud,est,nord (WGS84)")] = None,
    commune: Annotated[str | None, Query(max_length=5, description="Code INSEE (404 s'il est inconnu)")] = None,
    epci: Annotated[str | None, Query(max_length=9, description="SIREN de l'EPCI (404 s'il est inconnu)")] = None,
    pays: Annotated[str | None, Query(max_length=2, description="Code du pays (404 s'il est inconnu)")] = None,
    departement: Annotated[str | None, Query(max_length=3, description="Code du département (404 s'il est inconnu)")] = None,
    pole: Annotated[str | None, Query(max_length=80, description="Identifiant du pôle ESS (404 s'il est inconnu)")] = None,
    near: Annotated[str | None, Query(description="lon,lat : tri par distance")] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=params.MAX_RADIUS_KM, description="Rayon autour de near")] = None,
    siae: Annotated[bool | None, Query(description="Structures d'insertion (SIAE)")] = None,
    ea: Annotated[bool | None, Query(description="Entreprises adaptées / ESAT")] = None,
) -> SiteFilter:
    try:
        return params.site_filter(service, session, activity=activity, domain=domain, q=q, bbox=bbox,
                                  commune=commune, epci=epci, pays=pays, departement=departement, pole=pole,
                                  near=near, radius_km=radius_km, siae=siae, ea=ea)
    except params.ParamError as e:
        raise param_error(e) from None


FilterDep = Annotated[SiteFilter, Depends(site_filter)]
