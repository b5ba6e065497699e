"""Communes, EPCI, pays and départements: search by name, code or postcode; centre and box to zoom."""
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from carto.query import territories
from carto.api.deps import ServiceDep, SessionDep, bad_request, error_detail
from carto.query.params import split_values

router = APIRouter(prefix="/api/territories", tags=["territoires"])
LevelPath = Annotated[str, Path(alias="level", description="communes, epci, pays ou departements")]


def _level_of(collection: str) -> str:
    try:
        return territories.level_of(collection)
    except territories.UnknownLevel as e:
        raise HTTPException(404, detail=error_detail("path", "level", str(e), "not_found")) from None


def _items(session, level: str, entries: list[territories.Entry], geometry: bool) -> list[dict]:
    shapes = territories.geometries(session, level, [e.code for e in entries]) if geometry else {}
    return [e.as_dict() | ({"geometry": shapes.get(e.code)} if geometry else {}) for e in entries]


@router.get("", summary="Niveaux de territoires et leur nombre")
def list_levels(service: ServiceDep):
    counts = territories.counts(service)
    return {"levels": [{"level": collection, "count": counts[level], "href": f"/api/territories/{collection}"}
                       for collection, level in territories.COLLECTIONS.items()]}


@router.get("/{level}", summary="Chercher des territoires par nom, code ou code postal")
def search_territories(
        collection: LevelPath, service: ServiceDep, session: SessionDep,
        q: Annotated[str | None, Query(max_length=100, description="Début du nom (accents et casse "
                                       "ignorés), ou début d'un code INSEE / SIREN / code postal")] = None,
        code: Annotated[list[str], Query(description="Code exact (répétable, ou séparés par des virgules)")] = [],
        postcode: Annotated[str | None, Query(pattern=r"^\d{5}$", description="Code postal (communes)")] = None,
        geometry: Annotated[bool, Query(description="Inclure le contour (GeoJSON)")] = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0):
    level = _level_of(collection)
    if postcode and level != "commune":
        raise bad_request("postcode", "le code postal ne s'applique qu'aux communes")
    page = territories.search(service, level, q=q, codes=split_values(code), postcode=postcode,
                              limit=limit, offset=offset)
    # Straight to JSON: FastAPI's jsonable_encoder would walk every coordinate of the outlines.
    return JSONResponse({"level": collection, "total": page.total, "limit": limit, "offset": offset,
                         "territories": _items(session, level, page.entries, geometry)})


@router.get("/{level}/{code}", summary="Un territoire, avec son contour")
def get_territory(collection: LevelPath, code: str, service: ServiceDep, session: SessionDep, geometry: bool = True):
    level = _level_of(collection)
    entry = territories.get(service, level, code)
    if entry is None:
        raise HTTPException(404, detail=error_detail("path", "code", territories.unknown(level, code), "not_found"))
    return JSONResponse({"level": collection, **_items(session, level, [entry], geometry)[0]})
