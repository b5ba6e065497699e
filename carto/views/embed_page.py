"""What an embed needs from the database: its options checked against the known territories, the
site filter they preset, the first view of its map and the domains of its legend.

Lenient like ``carto.publish.embed``: a partner's URL never gets an error, only defaults.
"""
import json
import re
from dataclasses import dataclass

import shapely
from sqlmodel import Session

from carto.publish import embed

from carto.query import params, territories

from carto.views import list_view, mapview
from carto.directory.service import Service
from carto.publish.embed import EmbedOptions
from carto.storage.models import Pole
from carto.query.search import SiteFilter
from carto.core.taxonomy import Domain, Taxonomy

CODE = re.compile(r"[\w-]{1,80}")  # pôle slugs, INSEE and SIREN codes: anything else names nothing
CENTRE_ZOOM = 12  # a centre given without a zoom


@dataclass
class FirstView:
    """Where the map opens: a centre and zoom, or bounds to fit, or neither (all of Brittany)."""
    centre_zoom: tuple[float, float, int] | None = None  # lat, lon, zoom
    bounds: list[list[float]] | None = None  # [[south, west], [north, east]]


def read_options(service: Service, session: Session, query) -> EmbedOptions:
    def territory_exists(level: str, code: str) -> bool:
        if not CODE.fullmatch(code) or (level != "pole" and not service.locator.enabled):
            return False
        return params.territory_exists(service, session, level, code)

    return embed.parse(query, service.taxonomy, territory_exists)


def site_filter(options: EmbedOptions, taxonomy: Taxonomy) -> SiteFilter:
    territory = dict([options.territory]) if options.territory else {}
    return SiteFilter(activities=taxonomy.expand(options.activities, options.domains), q=options.q,
                      near=options.near, siae=options.siae or None, ea_esat=options.ea or None,
                      ess=True, **territory)  # an embedded map shows ESS structures, as the public map


def first_view(service: Service, session: Session, options: EmbedOptions) -> FirstView:
    """An explicit centre wins over a box, and a box over the territory's own bounds."""
    if options.center:
        return FirstView(centre_zoom=(*options.center, options.zoom or CENTRE_ZOOM))
    if options.bbox:
        return FirstView(bounds=_bounds(options.bbox))
    if options.territory:
        box = territory_box(service, session, *options.territory)
        return FirstView(bounds=_bounds(box) if box else None)
    return FirstView()


def territory_box(service: Service, session: Session, level: str, code: str) -> tuple[float, ...] | None:
    """West, south, east, north of a pôle's area or of an EPCI, pays or département."""
    if level == "pole":
        pole = session.get(Pole, code)
        return shapely.from_geojson(pole.geometry).bounds if pole and pole.geometry else None
    entry = territories.get(service, level, code)
    return entry.bbox if entry else None


# Levels whose outline a map draws (besides pôles): an embed's presets, and a commune chosen on the public map.
OUTLINE_LEVELS = params.TERRITORY_FILTERS


def territory_outline(session: Session, level: str, code: str) -> dict | None:
    """A territory's outline as the maps draw it (lightened, GeoJSON geometry): ``level`` is "pole" or
    one of OUTLINE_LEVELS."""
    if level == "pole":
        pole = session.get(Pole, code)
        geometry = pole.geometry if pole else None
    else:
        found = territories.geometries(session, level, [code]).get(code)
        geometry = json.dumps(found) if found else None
    return json.loads(mapview.display_geometry(geometry)) if geometry else None


def _bounds(box) -> list[list[float]]:
    west, south, east, north = box
    return [[south, west], [north, east]]


def legend(taxonomy: Taxonomy, activities: set[str]) -> list[Domain]:
    """The domains whose colour and icon the markers may wear: those with a selected activity."""
    return [d for d in taxonomy.domains if not activities or any(a.slug in activities for a in d.activities)]


def locked_presets(session: Session, taxonomy: Taxonomy, options: EmbedOptions) -> list[str]:
    """The presets a locked embed does not let its visitor change, said in French."""
    if not options.locked:
        return []
    preset = EmbedOptions(activities=options.activities, domains=options.domains, territory=options.territory)
    return list_view.describe(session, taxonomy, site_filter(preset, taxonomy))
