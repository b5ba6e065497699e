"""Server-rendered public pages (French): the map, a site's page and the list of sites."""
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

import shapely
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from sqlmodel import select

from carto.core import opening_status
from carto.directory import geojson

from carto.query import params, search

from carto.territory import territory_names

from carto.views import basemap, embed_page, embed_text, icons, list_view, mapview, site_view
from carto.api.deps import ServiceDep, FilterDep, SessionDep
from carto.api.templates import page
from carto.storage.models import Pole
from carto.query.search import SiteFilter



class PageRoute(APIRoute):
    """A page's errors are French HTML pages, not JSON (e.g. a hand-edited URL with a bad filter)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as e:
                return error_page(request, e.status_code, _messages(e.detail))
            except RequestValidationError as e:
                return error_page(request, 422, [f"{e_['loc'][-1]} : {e_['msg']}" for e_ in e.errors()])

        return route


router = APIRouter(include_in_schema=False, route_class=PageRoute)


def _messages(detail) -> list[str]:
    if isinstance(detail, list):
        return [f"{d['loc'][-1]} : {d['msg']}" for d in detail]
    return [str(detail)]


def error_page(request: Request, status_code: int, messages: list[str]) -> HTMLResponse:
    return page(request, "error.html", status_code, status=status_code, messages=messages)


def filter_query(request: Request, **extra) -> str:
    """The filter parameters of this request (plus ``extra``) as a query string."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k in params.LINKED_FILTERS and v]
    pairs += [(k, v) for k, v in extra.items() if v is not None]
    return urlencode(pairs)


def with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def filter_context(session, service, f: SiteFilter, counts: dict[str, int] | None = None,
                   no_activity: bool = False) -> dict:
    """What the filter form (``_filters.html``) needs to show the current filters. ``no_activity``:
    every activity unticked (a map address says so with ``no_activity=1``: no activity at all in
    the filter would mean all of them)."""
    return {"f": f, "counts": counts, "territory_options": territory_names.options(session),
            "levels": territory_names.LEVELS, "no_activity": no_activity,
            "empty_domains": search.empty_domains(session, service.taxonomy)}


def shared_view(request: Request) -> tuple[float, float, int] | None:
    """Centre and zoom of a shared map address (``lat``, ``lon``, ``zoom``); None if absent or invalid:
    a map link is never an error."""
    q = request.query_params
    try:
        lat, lon, zoom = float(q["lat"]), float(q["lon"]), int(q["zoom"])
    except (KeyError, ValueError):
        return None
    return (lat, lon, zoom) if -90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= zoom <= 19 else None


def public_default(request: Request, f: SiteFilter) -> SiteFilter:
    """The public map and list show ESS structures unless the visitor asks for others (``ess=all``)."""
    return f if "ess" in request.query_params else replace(f, ess=True)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, service: ServiceDep, session: SessionDep, f: FilterDep):
    f = public_default(request, f)
    rendered = mapview.site_map(service.settings, shared_view(request))
    return page(request, "map.html", map=rendered, list_query=filter_query(request),
                **filter_context(session, service, f, no_activity=request.query_params.get("no_activity") == "1"))


@router.get("/carte/zones-poles.geojson")
def pole_areas(session: SessionDep):
    """The pôle areas as the map draws them (lighter outlines), fetched when that layer is shown."""
    poles = session.exec(select(Pole).order_by(Pole.name)).all()
    features = [geojson.geometry_feature(p.id, mapview.display_geometry(p.geometry), {"nom": p.name})
                for p in poles if p.geometry]
    return JSONResponse(geojson.collection(features), headers={"Cache-Control": "public, max-age=300"})


@router.get("/carte/contour/{level}/{code}.geojson")
def territory_outline(level: str, code: str, session: SessionDep):
    """The outline the map draws around a chosen territory (lightened), with its bounds to fit."""
    if level != "pole" and level not in embed_page.OUTLINE_LEVELS:
        raise HTTPException(404, detail=f"niveau de territoire inconnu : {level}")
    outline = embed_page.territory_outline(session, level, code)
    if outline is None:
        raise HTTPException(404, detail=f"aucun contour pour {level} « {code} »")
    west, south, east, north = shapely.bounds(shapely.from_geojson(json.dumps(outline))).tolist()
    feature = geojson.geometry_feature(code, json.dumps(outline), {"level": level})
    return JSONResponse(feature | {"bbox": [west, south, east, north]}, headers={"Cache-Control": "public, max-age=300"})


@router.get("/carte/fond/{name}.geojson")
def basemap_layer(name: str, session: SessionDep):
    """A layer of our own basemap (land, commune outlines, towns), for maps without tiles."""
    if name not in basemap.LAYERS:
        raise HTTPException(404, detail=f"couche de fond inconnue : {name} (connues : {', '.join(basemap.LAYERS)})")
    return Response(basemap.layer(session, name), media_type="application/geo+json",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(request: Request, site_id: str, service: ServiceDep, session: SessionDep):
    number = params.parse_id(site_id)
    found = site_view.details(session, service.taxonomy, number) if number is not None else None
    if found is None:
        return error_page(request, 404, [f"Aucun site publié ne porte le numéro «\u00a0{site_id}\u00a0» : "
                                               "il n'existe pas ou n'est plus publié."])
    domain = found.main_domain
    # The pin of the public map: its first activity's icon in its domain's colour.
    icon = found.activities[0].icon if found.activities else "location-dot"
    small_map = mapview.site_detail_map(service.settings, found.site.lon, found.site.lat,
                                        domain.color if domain else "#607d8b", icon)
    url = site_url(service, found.site.id)
    return page(request, "site.html", d=found, s=found.site, map=small_map, canonical=url,
                json_ld=site_view.structured_data(found, url), share_url=url, open_state=found.open_state)


@router.get("/sites/{site_id}/bulle", response_class=HTMLResponse)
def site_popup(request: Request, site_id: str, service: ServiceDep, session: SessionDep,
               embed: bool = False, lang: str = "fr"):
    """What a map popup shows beyond the marker's name and activities (address, open now, actions).
    ``embed=1``: links open a new tab, no favourites; ``lang=en``: an embed's words."""
    number = params.parse_id(site_id)
    found = site_view.details(session, service.taxonomy, number) if number is not None else None
    if found is None:
        raise HTTPException(404, detail=f"Aucun site publié ne porte le numéro « {site_id} ».")
    english = embed and lang == "en"
    open_state = opening_status.state_at(found.site.opening_hours, datetime.now(opening_status.PARIS), "en") \
        if english else found.open_state
    response = page(request, "_site_popup.html", s=found.site, open_state=open_state,
                    share_url=site_url(service, found.site.id), new_tab=embed,
                    ui=embed_text.page_words(lang) if embed else {})
    response.headers["Cache-Control"] = "public, max-age=60"  # « ouvert maintenant » moves with the clock
    return response


def site_url(service, site_id: int) -> str:
    return f"{service.settings.public_base_url.rstrip('/')}/sites/{site_id}"


@router.get("/liste", response_class=HTMLResponse)
def list_page(request: Request, service: ServiceDep, session: SessionDep, f: FilterDep,
              page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
              autour: Annotated[str | None, Query(max_length=80)] = None):
    # "autour": a commune or postcode typed in the list's form; it wins over the map's centre (near).
    f = public_default(request, f)
    place, why_not = list_view.find_place(service, autour) if autour and autour.strip() else (None, None)
    if place:
        f = replace(f, near=place.centre)
    sort = {"autour": autour} if place else {"near": request.query_params.get("near") if f.near else None}
    map_view = {"lat": f.near[1], "lon": f.near[0], "zoom": 13} if f.near else {}
    listing = list_view.list_page(session, service.taxonomy, service.locator, f, page_number)
    return page(request, "list.html", listing=listing, description=list_view.describe(session, service.taxonomy, f),
                page_url=lambda n: with_query("/liste", filter_query(request, **sort, page=n if n > 1 else None)),
                map_query=filter_query(request, **map_view), autour=autour, place=place,
                unknown_place=autour if autour and not place else None, why_not=why_not, place_sort=True,
                **filter_context(session, service, f, search.activity_counts(session, f)))


@router.get("/icones.css")
def icon_stylesheet(service: ServiceDep, v: str | None = None):
    icon_set = icons.for_taxonomy(service.taxonomy)
    return Response(icon_set.css, media_type="text/css", headers=_cache_headers(v == icon_set.version))


@router.get("/icones/{version}.woff")
def icon_font(version: str, service: ServiceDep):
    icon_set = icons.for_taxonomy(service.taxonomy)
    if version != icon_set.version:
        raise HTTPException(404, detail="police d'icônes inconnue (la taxonomie a changé ?)")
    return Response(icon_set.font, media_type="font/woff", headers=_cache_headers(True))


def _cache_headers(versioned: bool) -> dict[str, str]:
    # A versioned address never changes content; the bare one may, after a taxonomy edit.
    return {"Cache-Control": "public, max-age=31536000, immutable" if versioned else "public, max-age=3600"}
