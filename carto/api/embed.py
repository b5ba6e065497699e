"""The embeddable map for partner sites (``/embed``), its builder (``/embed/builder``) and the
snippet API (``/api/embed/snippet``).

Every option is read leniently (``carto.publish.embed``): a partner's page never shows our error page, so
these routes read the raw query string instead of declaring typed parameters.
"""
from dataclasses import replace
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from carto.publish import embed

from carto.query import params, search

from carto.territory import territory_names

from carto.views import embed_page, embed_text, list_view, mapview
from carto.api.deps import ServiceDep, SessionDep
from carto.api.pages import page
from carto.publish.embed import EmbedOptions

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/embed", tags=["intégration"])
MAX_PAGE = 100_000


def _path(path: str, params: dict) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _context(service, session, options: EmbedOptions) -> dict:
    """What both views show: the bar, the filter form (with the options it must carry) and the words."""
    ui = embed_text.page_words(options.lang)
    as_map, as_list = replace(options, view="map", near=None), replace(options, view="list")
    full = "/liste" if options.view == "list" else "/"
    return {
        "o": options, "ui": ui, "f": embed_page.site_filter(options, service.taxonomy),
        "territory_options": territory_names.options(session),
        "levels": embed_text.levels(options.lang, territory_names.LEVELS),
        "map_href": embed.embed_url("", as_map), "list_href": embed.embed_url("", as_list),
        "full_href": _path(full, options.filters()),
        "locked_presets": embed_page.locked_presets(session, service.taxonomy, options),
        "filters_locked": options.locked, "new_tab": True, "report_links": options.contribute,
        "empty_domains": search.empty_domains(session, service.taxonomy),
    }


@router.get("/embed", response_class=HTMLResponse)
def embed_view(request: Request, service: ServiceDep, session: SessionDep):
    options = embed_page.read_options(service, session, request.query_params)
    context = _context(service, session, options)
    if options.view == "list":
        return _list(request, service, session, options, context)
    return _map(request, service, session, options, context)


def _map(request: Request, service, session, options: EmbedOptions, context: dict) -> HTMLResponse:
    first = embed_page.first_view(service, session, options)
    layer = embed_text.SITES_LAYER_EN if options.lang == "en" else mapview.SITES_LAYER
    rendered = mapview.site_map(service.settings, first.centre_zoom, bounds=first.bounds, sites_layer=layer)
    # map.js appends the visitor's filters to listUrl when the embed switches to its list.
    script = {"linkTarget": "_blank", "lang": options.lang, "listUrl": _path("/embed", options.display() | {"view": "list"}),
              "outline": embed_page.territory_outline(session, *options.territory) if options.territory else None}
    f = context["f"]
    return page(request, "embed/map.html", map=rendered, embed_config=script, counts=None,
                legend=embed_page.legend(service.taxonomy, f.activities), **context)


def _list(request: Request, service, session, options: EmbedOptions, context: dict) -> HTMLResponse:
    f = context["f"]
    listing = list_view.list_page(session, service.taxonomy, service.locator, f,
                                  params.whole_number(request.query_params.get("page"), 1, MAX_PAGE) or 1)
    page_query = options.query()

    def page_url(n: int) -> str:
        return _path("/embed", page_query | ({"page": str(n)} if n > 1 else {}))

    return page(request, "embed/list.html", listing=listing, page_url=page_url,
                filters_action="/embed", filters_hidden=sorted(options.display().items()),
                counts=search.activity_counts(session, f), **context)


@router.get("/embed/builder", response_class=HTMLResponse)
def builder(request: Request, service: ServiceDep, session: SessionDep):
    """Partners tick options, see the embed live and copy its code; the query presets the form."""
    options = embed_page.read_options(service, session, request.query_params)
    settings = embed.snippet_settings(request.query_params, options.lang)
    return page(request, "embed/builder.html", o=options, settings=settings,
                code=embed.snippet(service.settings.public_base_url, options, **settings),
                preview_url=embed.embed_url("", options), selected=embed_page.site_filter(options, service.taxonomy),
                territory_options=territory_names.options(session), levels=territory_names.LEVELS,
                heights=embed.HEIGHTS)


@api.get("/snippet", summary="Code HTML d'intégration de la carte pour des options données")
def snippet(request: Request, service: ServiceDep, session: SessionDep):
    """Les options de ``/embed`` (``activity``, ``domain``, ``lock``, ``pole``/``epci``/``pays``/``departement``,
    ``bbox``, ``center``, ``zoom``, ``view``, ``legend``, ``header``, ``contrib``, ``lang``) et celles du code
    (``title``, ``height`` en pixels, ``resize=1`` pour le script qui ajuste la hauteur). Comme la carte
    intégrée, ce point d'accès ignore les options inconnues et remplace les valeurs invalides par défaut :
    ``options`` dit celles qui ont été retenues."""
    options = embed_page.read_options(service, session, request.query_params)
    settings = embed.snippet_settings(request.query_params, options.lang)
    base = service.settings.public_base_url
    return {"options": options.query(), "url": embed.embed_url(base, options),
            "preview": embed.embed_url("", options), "snippet": embed.snippet(base, options, **settings),
            "title": settings["title"], "height": settings["height"]}
