"""The one template environment of the pages (``web/templates``) and the one way to render a page.

Every page — public, moderation, OGC — is rendered by ``page`` with the same globals and the same
base context, so a template or a fragment included anywhere finds the same names.
``carto.api.security.render`` adds the visitor and the CSRF token of the pages behind a sign-in.
"""
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from carto.core.settings import PROJECT_ROOT
from carto.directory import reserved_status, sirene
from carto.views import icons, legal, list_view, site_view

templates = Jinja2Templates(directory=PROJECT_ROOT / "web" / "templates")


def link(document: dict, rel: str, media_type: str | None = None) -> str | None:
    """The href of the first link of ``rel`` (and type) in a document (OGC pages)."""
    return next((k["href"] for k in document.get("links", [])
                 if k["rel"] == rel and (media_type is None or k["type"] == media_type)), None)


def script_json(raw: bytes) -> Markup:
    """Already encoded JSON to write inside a ``<script>`` as is, escaped as Jinja's ``tojson`` escapes
    (« </script> » in a name must not end the script): these four characters occur only inside JSON
    strings, where their ``\\u`` escape reads the same. A supplier search's 2,000 markers went JSON →
    Python → JSON through ``tojson``."""
    for char, escape in _SCRIPT_ESCAPES:
        raw = raw.replace(char, escape)
    return Markup(raw.decode())


_SCRIPT_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), (b"'", b"\\u0027"))


templates.env.globals.update(
    accessibility_state=legal.state,  # the footer of every page
    annuaire_url=sirene.annuaire_url,  # every SIRET links to its establishment
    distance_fr=list_view.distance_fr, page_numbers=list_view.page_numbers, french_date=site_view.french_date,
    level_label=site_view.level_label, ess_label=site_view.ess_label, directions_url=site_view.directions_url,
    geo_uri=site_view.geo_uri, link=link,
    reserved_labels=reserved_status.labels)  # « SIAE — vérifié (…) » / « … déclaré, non vérifié »


def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    """The template ``name`` with what every page shows: the taxonomy (menus, legends), whether the
    territories are loaded, the version of the icons."""
    service = request.app.state.service
    base = {"taxonomy": service.taxonomy, "territories_enabled": service.locator.enabled,
            "icons_version": icons.for_taxonomy(service.taxonomy).version}
    return templates.TemplateResponse(request, name, base | context, status_code=status_code)
