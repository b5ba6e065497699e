"""The public list of sites: one page of a filtered search, and the filters said in French."""
import math
import re
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session

from carto.core import opening_status
from carto.core.opening_status import OpenState
from carto.query import search, territories

from carto.territory import territory_names
from carto.directory.service import Service
from carto.territory.geocoder import GeocoderUnavailable
from carto.territory.locator import Locator
from carto.storage.models import Site
from carto.query.search import SiteFilter
from carto.core.taxonomy import Activity, Domain, Taxonomy

PER_PAGE = 20
POSTCODE = re.compile(r"\d{5}")
SEARCH_RADII_KM = (5, 20, 80)


@dataclass
class ListItem:
    site: Site
    activities: list[Activity]
    domain: Domain | None  # of the first activity: colour and icon of the entry
    distance_km: float | None
    open_state: OpenState | None


@dataclass
class ListPage:
    items: list[ListItem]
    total: int
    page: int
    per_page: int
    near_name: str | None  # commune the list is sorted around, when sorted by distance
    total_exact: bool = True  # else ``total`` is a lower bound (``search.COUNT_LIMIT``)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.per_page + 1


def list_page(session: Session, taxonomy: Taxonomy, locator: Locator, f: SiteFilter, page: int = 1,
              per_page: int = PER_PAGE) -> ListPage:
    """Page ``page`` (from 1) of the sites matching ``f``: by distance with ``near``, else by name."""
    found = _find(session, f, per_page, (page - 1) * per_page)
    slugs = search.activities_by_site(session, [s.id for s in found.sites])
    known = taxonomy.activities
    items = []
    now = datetime.now(opening_status.PARIS)
    for site in found.sites:
        activities = [known[a] for a in slugs[site.id] if a in known]
        domain = taxonomy.domain(activities[0].domain) if activities else None
        items.append(ListItem(site, activities, domain, found.distances.get(site.id),
                              opening_status.state_at(site.opening_hours, now)))
    near = locator.locate(*f.near) if f.near else None
    return ListPage(items, found.total, page, per_page, near.commune_name if near else None, found.total_exact)


def _find(session: Session, f: SiteFilter, limit: int, offset: int) -> search.Page:
    """``search.find``, quicker around a point: sorting every site of the region by distance costs
    ~1 s at 100,000 sites, so circles of growing radius are tried first. The first circle holding
    ``offset + limit`` sites holds the nearest ones, hence exactly the page a full sort would give."""
    if not f.near or f.radius_km:
        return search.find(session, f, limit, offset)
    for radius in SEARCH_RADII_KM:
        found = search.find(session, replace(f, radius_km=radius), limit, offset)
        if found.total >= offset + limit:
            everywhere = search.find(session, replace(f, near=None), limit=0)
            return search.Page(everywhere.total, found.sites, found.distances, everywhere.total_exact)
    return search.find(session, f, limit, offset)


@dataclass(frozen=True)
class Place:
    """Where a visitor asked the list to be sorted around."""
    label: str  # the commune's name, or the address the geocoder understood
    centre: tuple[float, float]  # lon, lat


GEOCODER_LOW_SCORE = 0.5  # below, the address service's best guess is more often another place


def find_place(service: Service, text: str) -> tuple[Place | None, str | None]:
    """The place a visitor means, and why none when there is none: a commune by name (accents
    optional) or postcode (five digits are read as a postcode first: people know theirs, rarely an
    INSEE code), else a street address when an address service is configured."""
    text = text.strip()
    found = territories.search(service, "commune", postcode=text, limit=1) if POSTCODE.fullmatch(text) else None
    if not (found and found.entries):
        found = territories.search(service, "commune", q=text, limit=1)
    if found.entries:
        return Place(found.entries[0].name, found.entries[0].centre), None
    try:
        addresses = service.geocoder.search(text, limit=1)
    except GeocoderUnavailable as e:
        return None, str(e)
    best = addresses[0] if addresses else None
    if best is None or best.score < GEOCODER_LOW_SCORE:
        return None, None
    return Place(best.label, (best.lon, best.lat)), None


def describe(session: Session, taxonomy: Taxonomy, f: SiteFilter) -> list[str]:
    """The active filters as short French phrases, e.g. ["Mobilité durable", "EPCI : Rennes Métropole"]."""
    phrases = _activity_phrases(taxonomy, f.activities)
    if f.q:
        phrases.append(f"Recherche : «\u00a0{f.q}\u00a0»")
    for level, code in (("commune", f.commune), ("pole", f.pole), ("epci", f.epci), ("pays", f.pays),
                        ("departement", f.departement)):
        if code:
            phrases.append(f"{territory_names.WORDS[level].title} : {territory_names.name(session, level, code) or code}")
    if f.ess is None:
        phrases.append("Structures de l'ESS et hors ESS (artisans, commerces, collectivités…)")
    elif not f.ess:
        phrases.append("Structures hors ESS seulement")
    if f.siae:
        phrases.append("Structures d'insertion (SIAE)")
    if f.ea_esat:
        phrases.append("Entreprises adaptées et ESAT")
    if f.reserved_verified:
        phrases.append("Statuts SIAE, EA ou ESAT vérifiés seulement")
    if f.radius_km:
        phrases.append(f"Dans un rayon de {f.radius_km:g} km")
    return phrases


def _activity_phrases(taxonomy: Taxonomy, selected: set[str]) -> list[str]:
    """Whole domains by their name, other activities one by one; nothing when all are selected."""
    if not selected or selected >= set(taxonomy.activities):
        return []
    phrases = []
    for domain in taxonomy.domains:
        slugs = {a.slug for a in domain.activities}
        if slugs <= selected:
            phrases.append(domain.label)
        else:
            phrases += [a.label for a in domain.activities if a.slug in selected]
    return phrases


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page links to show: the first, the last and ``around`` each side of ``page``; None is a gap."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


def distance_fr(km: float) -> str:
    """« 350 m », « 2,4 km », « 37 km »."""
    if km < 1:
        return f"{round(km * 1000, -1):.0f} m"
    return f"{km:.1f} km".replace(".", ",") if km < 10 else f"{km:.0f} km"
