"""Pôles ESS and their coverage areas."""
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from sqlmodel import select

from carto.directory import geojson
from carto.api.deps import ServiceDep, SessionDep, error_detail
from carto.storage.models import Pole, PoleCommune

router = APIRouter(prefix="/api/poles", tags=["pôles"])


@router.get("", summary="Pôles ESS et leurs zones de couverture (GeoJSON)")
def list_poles(session: SessionDep, geometry: bool = True):
    counts: dict[str, int] = {}
    for link in session.exec(select(PoleCommune)):
        counts[link.pole_id] = counts.get(link.pole_id, 0) + 1
    poles = session.exec(select(Pole).order_by(Pole.name)).all()
    # Straight to JSON: FastAPI's jsonable_encoder would walk every coordinate of 19 outlines.
    return JSONResponse(geojson.collection([geojson.geometry_feature(p.id, p.geometry if geometry else None,
                                                        geojson.pole_properties(p, counts.get(p.id, 0)))
                                            for p in poles]))


@router.get("/at", summary="Commune et pôles couvrant un point")
def poles_at(service: ServiceDep, session: SessionDep,
             lon: Annotated[float, Query(ge=-180, le=180)], lat: Annotated[float, Query(ge=-90, le=90)]):
    placement = service.locator.locate(lon, lat)
    if placement is None:
        return {"commune": None, "poles": []}
    poles = [session.get(Pole, pid) for pid in placement.poles]
    return {"commune": {"code": placement.commune_code, "nom": placement.commune_name,
                        "epci": placement.epci_code, "pays": placement.pays_code,
                        "departement": placement.dep_code},
            "poles": [{"id": p.id, **geojson.pole_properties(p)} for p in poles]}


@router.get("/{pole_id}", summary="Un pôle ESS (GeoJSON Feature)")
def get_pole(pole_id: str, session: SessionDep):
    pole = session.get(Pole, pole_id)
    if pole is None:
        raise HTTPException(404, detail=error_detail("path", "pole_id", f"pôle inconnu : « {pole_id} »", "not_found"))
    communes = session.exec(select(PoleCommune.commune_code).where(PoleCommune.pole_id == pole_id)).all()
    return JSONResponse(geojson.geometry_feature(pole.id, pole.geometry, geojson.pole_properties(
        pole, len(communes)) | {"communes": sorted(communes)}))
