"""France's public registers for the forms: address suggestions (BAN) and establishments (Sirene).

Both answer 503 with a French message when the service is off or out of reach: the forms then work
as without it (commune centre, fields typed by hand) and say so.
"""
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from carto.api.deps import ServiceDep, error_detail
from carto.territory.geocoder import GeocoderUnavailable

router = APIRouter(prefix="/api", tags=["registres"])


@router.get("/geocode", summary="Adresses correspondant à un texte (Base Adresse Nationale)")
def geocode(service: ServiceDep, q: Annotated[str, Query(min_length=3, max_length=200)],
            postcode: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
            limit: Annotated[int, Query(ge=1, le=10)] = 5):
    try:
        found = service.geocoder.search(q, postcode=postcode, limit=limit)
    except GeocoderUnavailable as e:
        raise HTTPException(503, detail=error_detail("query", "q", f"Recherche d'adresse indisponible : {e}",
                                                     "unavailable")) from None
    locator = service.locator
    return {"addresses": [{
        "label": a.label, "street": a.street, "postcode": a.postcode, "city": a.city, "citycode": a.citycode,
        "commune": f"{placement.commune_name} ({placement.commune_code})" if placement else "",
        "lon": a.lon, "lat": a.lat, "score": round(a.score, 3), "precision": a.precision.value,
    } for a in found for placement in [locator.placement(a.citycode)]]}
