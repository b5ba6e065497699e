"""Server-rendered public pages (French)."""
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import select

from carto import geojson, mapview
from carto.api.deps import CartoDep, SessionDep
from carto.models import Pole
from carto.settings import PROJECT_ROOT

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=PROJECT_ROOT / "web" / "templates")


def page(request: Request, carto, name: str, **context) -> HTMLResponse:
    context |= {"taxonomy": carto.taxonomy, "territories_enabled": carto.locator.enabled}
    return templates.TemplateResponse(request, name, context)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, carto: CartoDep, session: SessionDep):
    poles = session.exec(select(Pole).order_by(Pole.nom)).all()
    features = [geojson.geometry_feature(p.id, mapview.display_geometry(p.geometry), {"nom": p.nom})
                for p in poles if p.geometry]
    rendered = mapview.site_map(carto.settings, geojson.collection(features))
    return page(request, carto, "map.html", map_header=rendered.header, map_html=rendered.html,
                map_script=rendered.script, map_name=rendered.map_name, cluster_name=rendered.cluster_name)
