"""Supplier search for public buyers: the ``/sourcing`` page and the same search as JSON.

The page, ``/api/sourcing`` and the exports (``carto.api.exports``) read the same query parameters,
so a search's URL can be shared, and its export links hold exactly what the page shows.
"""
import math
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field
from sqlmodel import Session

from carto.directory import site_json

from carto.query import params as vocabulary, sourcing, territories

from carto.views import thematic_maps
from carto.api.deps import ServiceDep, SessionDep, param_error
from carto.api.pages import PageRoute, page
from carto.api.templates import script_json
from carto.directory.service import Service
from carto.views.list_view import page_numbers
from carto.storage.models import LEGAL_FORM_LABELS
from carto.query.params import ParamError
from carto.query.sourcing import Criteria

router = APIRouter(tags=["sourcing"])
pages = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 50
MAP_LIMIT = 2000  # markers carried by the page; the table and the exports have every result


def map_markers(service: Service, session: Session, results: sourcing.Results) -> Markup:
    """The first ``MAP_LIMIT`` results as the markers of a page's map (``_sites_map.html``)."""
    return script_json(site_json.listed(service.pieces.markers(sourcing.markers(session, results, MAP_LIMIT))))


class SourcingQuery(BaseModel):
    """A buyer's search. Numbers are read as text so that the page can word its own errors."""
    territory: str | None = Field(None, max_length=120, description=(
        "Nom ou code d'une commune, d'un EPCI, d'un pays, d'un département ou d'un pôle ESS "
        "(accents et casse ignorés)"))
    zone: str | None = Field(None, max_length=100, description=(
        "Territoire exact « niveau:code » (commune:35238, epci:243500139, pays:15, departement:35, "
        "pole:reso-solidaire) ; prime sur territory"))
    around: str | None = Field(None, max_length=120, description="Commune au centre du rayon (nom ou code INSEE)")
    near: str | None = Field(None, max_length=60, description="Point au centre du rayon : lon,lat (WGS84)")
    radius_km: str | None = Field(None, max_length=12, description="Rayon en km autour de around ou near")
    activity: list[str] = Field([], description="Activité (répétable, ou séparées par des virgules)")
    domain: list[str] = Field([], description="Domaine (répétable)")
    legal_form: list[str] = Field([], description="Forme juridique : " + ", ".join(f.value for f in LEGAL_FORM_LABELS))
    reserved: list[str] = Field([], description="Marchés réservés : siae (art. L2113-13), ea (EA/ESAT, art. L2113-12)")
    reserved_verified: str | None = Field(None, max_length=5, description=vocabulary.FILTER_DESCRIPTIONS["reserved_verified"])
    public: list[str] = Field([], description="Public accueilli : particuliers, professionnels")
    label: list[str] = Field([], description="Réseau ou label (répétable)")
    q: str | None = Field(None, max_length=200, description="Mots-clés (nom, description, commune)")
    ess: str | None = Field(None, max_length=5, description=(
        "Structures de l'ESS : true, false (hors ESS : artisans, commerces, collectivités…) ou all (toutes, "
        "par défaut)"))
    sort: str | None = Field(None, max_length=20, description=(
        "Tri : nom, commune, distance, forme, verifie ; précédé de - pour l'ordre décroissant"))


QueryDep = Annotated[SourcingQuery, Query()]


def parse(service: Service, session, params: SourcingQuery) -> Criteria:
    return sourcing.parse(service, session, **params.model_dump())


def criteria(service: ServiceDep, session: SessionDep, params: QueryDep) -> Criteria:
    try:
        return parse(service, session, params)
    except ParamError as e:
        raise param_error(e) from None


CriteriaDep = Annotated[Criteria, Depends(criteria)]


@router.get("/api/sourcing", summary="Fournisseurs ESS d'un territoire, pour les acheteurs publics (GeoJSON)")
def search_suppliers(service: ServiceDep, session: SessionDep, c: CriteriaDep,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                     offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                     format: Annotated[Literal["geojson", "compact"], Query()] = "geojson"):
    results = sourcing.run(session, c)
    rows = list(sourcing.iter_rows(session, results, offset, limit, service.taxonomy))
    if format == "compact":
        body = site_json.document({"total": results.total, "offset": offset}, "sites",
                                  site_json.separated(service.pieces.site_marker(r.site) for r in rows))
        return Response(body, media_type="application/json")
    members = {"type": "FeatureCollection", "numberMatched": results.total, "numberReturned": len(rows),
               "offset": offset, "limit": limit, "criteria": c.describe(service.taxonomy),
               "activity_counts": results.activity_counts}
    features = site_json.separated(service.pieces.site_feature(r.site, r.distance_km) for r in rows)
    return Response(site_json.document(members, "features", features), media_type="application/json")


def query_string(request: Request, **changes) -> str:
    """This page's query string with ``changes`` (a None value drops the parameter)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in changes and v != ""]
    pairs += [(k, v) for k, v in changes.items() if v is not None]
    return urlencode(pairs)


def _checked(params: SourcingQuery, c: Criteria | None) -> dict[str, set[str]]:
    """The boxes to tick: what the search understood, or what was typed when it could not run."""
    if c is None:
        return {name: set(vocabulary.split_values(getattr(params, name)))
                for name in ("activity", "reserved", "public", "legal_form")} | {
            "label": set(params.label), "reserved_verified": vocabulary.lenient(
                vocabulary.parse_bool, params.reserved_verified, "reserved_verified")}
    return {"activity": set(c.activities), "reserved": set(c.reserved), "public": set(c.publics),
            "legal_form": {f.value for f in c.legal_forms}, "label": set(c.labels),
            "reserved_verified": c.reserved_verified}


def _form_context(session, params: SourcingQuery, c: Criteria | None) -> dict:
    return {"params": params, "checked": _checked(params, c), "legal_forms": LEGAL_FORM_LABELS,
            "max_radius_km": vocabulary.MAX_RADIUS_KM,
            "reserved": sourcing.RESERVED, "publics": sourcing.PUBLICS,
            "labels": sourcing.available_labels(session), "sorts": sourcing.SORTS,
            "zone_levels": zone_levels()}


def zone_levels() -> dict[str, dict[str, str]]:
    """For sourcing.js, each level a zone may name (the filter table's territory filters): where its
    suggestions come from, and the word the page's labels give it (« Plouhinec (commune, 29) »)."""
    collection = {level: name for name, level in territories.COLLECTIONS.items()}
    return {level: {"label": sourcing.LEVEL_LABELS[level],
                    "url": "/api/poles?geometry=false" if level == "pole" else f"/api/territories/{collection[level]}"}
            for level in (*vocabulary.TERRITORY_FILTERS, "pole")}


def _sorting(request: Request, c: Criteria) -> dict:
    def sort_url(key: str) -> str:
        flip = c.sort == key and not c.descending
        return "/sourcing?" + query_string(request, sort=f"-{key}" if flip else key, page=None)

    def aria_sort(key: str) -> str | None:
        return ("descending" if c.descending else "ascending") if c.sort == key else None

    return {"sort_url": sort_url, "aria_sort": aria_sort}


def export_links(base: str) -> list[tuple[str, str, str]]:
    """The downloads of a search whose query string is ``base``: (label, address, hint), for people first."""
    link = "/api/exports/sites.{}" + ("?" + base if base else "")
    extra = "&" if base else "?"
    return [("Tableur (XLSX)", link.format("xlsx"), "Classeur Excel, LibreOffice : s'ouvre d'un double clic"),
            ("CSV pour tableur", link.format("csv") + extra + "sep=%3B",
             "Point-virgule et virgule décimale : Excel et LibreOffice en français"),
            ("CSV (données)", link.format("csv"), "Virgule, UTF-8 : pour les logiciels de données"),
            ("GeoJSON", link.format("geojson"), "Pour les SIG et le web"),
            ("GeoPackage", link.format("gpkg"), "Pour QGIS"),
            ("Description (datapackage.json)", "/api/exports/datapackage.json" + ("?" + base if base else ""),
             "Licences, crédits et schéma des colonnes du CSV")]


@pages.get("/sourcing", response_class=HTMLResponse)
def sourcing_page(request: Request, service: ServiceDep, session: SessionDep, params: QueryDep,
                  page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1):
    try:
        c = parse(service, session, params)
    except ParamError as e:
        context = _form_context(session, params, None)
        choice = {"territory": "zone", "around": "around"}.get(e.param)
        choices = [(p.label, "/sourcing?" + query_string(
            request, page=None, **({"zone": p.key, "territory": p.label} if choice == "zone" else {"around": p.label})))
            for p in e.choices]
        return page(request, "sourcing.html", 400, error=e, choices=choices, **context)
    context = _form_context(session, params, c)
    if not request.query_params:  # a first visit: the form, not every site of the region
        return page(request, "sourcing.html", criteria=c, **context)
    results = sourcing.run(session, c)
    pages_count = max(1, math.ceil(results.total / PAGE_SIZE))
    page_number = min(page_number, pages_count)
    rows = list(sourcing.iter_rows(session, results, (page_number - 1) * PAGE_SIZE, PAGE_SIZE, service.taxonomy))
    outline = sourcing.place_geometry(session, c.place) if c.place else None
    search_map = thematic_maps.area_map(service.settings, outline, c.centre, c.radius_km)
    share = service.settings.public_base_url.rstrip("/") + "/sourcing" + (
        "?" + query_string(request, page=None) if request.query_params else "")
    return page(request, "sourcing.html", criteria=c, results=results, rows=rows, markers=map_markers(service, session, results),
                map_limit=MAP_LIMIT, map=search_map, description=c.describe(service.taxonomy),
                exports=export_links(query_string(request, page=None)),
                share_url=share, page_number=page_number, pages_count=pages_count,
                page_numbers=page_numbers(page_number, pages_count),
                page_url=lambda n: "/sourcing?" + query_string(request, page=n if n > 1 else None),
                **_sorting(request, c), **context)
