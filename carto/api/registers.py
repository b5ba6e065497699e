"""France's public registers for the forms: address suggestions (BAN) and establishments (Sirene).

Both answer 503 with a French message when the service is off or out of reach: the forms then work
as without it (commune centre, fields typed by hand) and say so.
"""
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from carto.api.deps import ServiceDep, SessionDep, error_detail
from carto.directory import sirene
from carto.directory.site_schema import check_siret
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


@router.get("/sirene/{siret}", summary="Un établissement selon Sirene (nom, adresse, forme juridique, NAF, ESS, état)")
def sirene_establishment(siret: str, service: ServiceDep, session: SessionDep):
    try:
        siret = check_siret(siret)
    except ValueError as e:
        raise HTTPException(422, detail=error_detail("path", "siret", str(e))) from None
    try:
        record = service.sirene.lookup(siret)
    except sirene.SireneUnavailable as e:
        raise HTTPException(503, detail=error_detail("path", "siret", f"Sirene indisponible : {e}",
                                                     "unavailable")) from None
    sirene.remember(session, record)
    session.commit()
    if not record.found:
        raise HTTPException(404, detail=error_detail("path", "siret", f"SIRET {siret} inconnu de Sirene", "not_found"))
    code = service.locator.find_commune(record.postcode, record.city)
    placement = service.locator.placement(code) if code else None
    form = sirene.legal_form(record.legal_form_code)
    return {
        "siret": siret, "name": record.name, "street": record.street, "postcode": record.postcode,
        "city": record.city, "commune": f"{placement.commune_name} ({placement.commune_code})" if placement else "",
        "legal_form": form.value if form else None, "legal_form_code": record.legal_form_code,
        "legal_form_label": record.legal_form_label, "naf": record.naf, "ess": record.ess,
        "active": record.active, "closed_on": record.closed_on.isoformat() if record.closed_on else None,
        "summary": sirene.summary(record), "annuaire_url": sirene.annuaire_url(siret),
    }
