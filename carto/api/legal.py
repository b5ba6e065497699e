"""The legal pages every French public service publishes, linked from every footer and form consent:
the accessibility statement, the legal notice and the personal data notice."""
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from carto.api.deps import ServiceDep
from carto.api.pages import PageRoute, page
from carto.views import legal

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/accessibilite", response_class=HTMLResponse)
def accessibility(request: Request, service: ServiceDep):
    return page(request, "legal/accessibilite.html", audit=legal.audit(), who=legal.publisher(service.settings))


@router.get("/mentions-legales", response_class=HTMLResponse)
def legal_notice(request: Request, service: ServiceDep):
    return page(request, "legal/mentions_legales.html", who=legal.publisher(service.settings))


@router.get("/donnees-personnelles", response_class=HTMLResponse)
def personal_data(request: Request, service: ServiceDep):
    return page(request, "legal/donnees_personnelles.html", who=legal.publisher(service.settings),
                retention=legal.RETENTION)
