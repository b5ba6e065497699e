"""What the public page of a site shows: its public fields, worded for people, in French."""
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from sqlmodel import Session

from carto.core import opening_hours, opening_status
from carto.core.opening_status import OpenState

from carto.query import search

from carto.territory import territory_names
from carto.storage.models import LEGAL_FORM_LABELS, Site, SiteStatus
from carto.core.taxonomy import Activity, Domain, Taxonomy
from carto.territory.territory_names import Named



@dataclass
class SiteDetails:
    site: Site
    activities: list[Activity]
    domains: list[Domain]  # of its activities, in taxonomy order; the first one colours the marker
    hours: list[str]  # plain French lines; empty when unknown
    hours_raw: str | None  # the stored text, shown as is if it cannot be worded
    places: list[Named]  # commune, EPCI, pays, département, pôles
    legal_form: str | None
    open_state: OpenState | None  # at the time of the request

    @property
    def main_domain(self) -> Domain | None:
        return self.domains[0] if self.domains else None


def details(session: Session, taxonomy: Taxonomy, site_id: int) -> SiteDetails | None:
    """The public details of a published site; None for an unknown or unpublished one."""
    site = session.get(Site, site_id)
    if site is None or site.status != SiteStatus.published:
        return None
    slugs = search.activities_by_site(session, [site.id])[site.id]
    activities = [a for d in taxonomy.domains for a in d.activities if a.slug in slugs]
    domains = [d for d in taxonomy.domains if any(a.domain == d.slug for a in activities)]
    return SiteDetails(
        site=site, activities=activities, domains=domains,
        hours=_hours_in_french(site.opening_hours), hours_raw=site.opening_hours,
        places=territory_names.of_commune(session, site.commune_code, site.epci_code, site.pays_code,
                                          site.dep_code),
        legal_form=LEGAL_FORM_LABELS.get(site.legal_form) if site.legal_form else None,
        open_state=opening_status.state_at(site.opening_hours, datetime.now(opening_status.PARIS)))


def _hours_in_french(hours: str | None) -> list[str]:
    if not hours:
        return []
    try:
        return opening_hours.to_french(hours)
    except opening_hours.OpeningHoursError:  # imported data may predate validation
        return []


def ess_label(ess: bool) -> str:
    """A site's ESS flag in words (site page, supplier search): the map shows only ESS structures
    unless asked, and a visitor who reaches another must be told."""
    return "Structure de l'ESS" if ess else "Hors ESS (artisan, commerce, collectivité…)"


def level_label(level: str) -> str:
    return territory_names.WORDS[level].title


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def french_date(day: date | None) -> str:
    """« 1er juin 2026 »."""
    if day is None:
        return ""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def structured_data(d: SiteDetails, url: str) -> dict:
    """schema.org description of the site for search engines (JSON-LD), public fields only."""
    s = d.site
    data = {"@context": "https://schema.org", "@type": "LocalBusiness", "name": s.name, "url": url,
            "description": s.description or None,
            "address": {"@type": "PostalAddress", "streetAddress": s.street or None,
                        "postalCode": s.postcode or None, "addressLocality": s.commune_name or None,
                        "addressCountry": "FR"},
            "geo": {"@type": "GeoCoordinates", "latitude": s.lat, "longitude": s.lon},
            "sameAs": s.website, "telephone": s.phone, "email": s.email,
            "keywords": ", ".join(a.label for a in d.activities) or None}
    return _without_empty(data)


def _without_empty(value):
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in (None, "", [])}
    return value


def directions_url(lat: float, lon: float) -> str:
    """OpenStreetMap's route planner with the site as destination (the start is left to the visitor)."""
    return f"https://www.openstreetmap.org/directions?route=%3B{lat:.5f}%2C{lon:.5f}#map=16/{lat:.5f}/{lon:.5f}"


def geo_uri(lat: float, lon: float, name: str) -> str:
    """A ``geo:`` link (RFC 5870): phones open it in their maps application, labelled with the name."""
    return f"geo:{lat:.5f},{lon:.5f}?q={lat:.5f},{lon:.5f}({quote(name, safe='')})"
