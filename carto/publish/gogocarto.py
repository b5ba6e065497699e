"""The published sites as GoGoCarto publishes its elements, so that Carteco or any GoGoCarto map
can register this service as a source (its « import dynamique »), and the taxonomy in its form.

GoGoCarto's ``/api/elements.json`` answers ``{"licence", "ontology", "data": [...]}`` with one of
three ontologies: ``gogofull`` (every field of each element), ``gogocompact`` (``[id, [name],
latitude, longitude, [category ids]]`` per element, its order given by ``mapping``) and
``gogosync`` (``id``, ``createdAt``, ``updatedAt``: what changed since the last import). Its
categories are options of a taxonomy tree (``/api/taxonomy.json``): here the domains, each with
its activities, identified by their slugs. Opening hours go both in GoGoCarto's per-day
``openHours`` (when the OpenStreetMap value says no more than hours per weekday) and as written, in
the ``opening_hours`` custom field. Credits and licences come with the data.
"""
from collections.abc import Iterator
from datetime import datetime

import pydantic_core
from sqlmodel import Session, select

from carto.core import licences as licence_rules
from carto.core import opening_hours_french as french
from carto.core.opening_hours_french import OpeningHoursError
from carto.core.taxonomy import Taxonomy
from carto.directory.public_fields import json_value
from carto.storage import freshness, source_licences
from carto.storage.models import Site, SiteStatus

ONTOLOGIES = ("gogofull", "gogocompact", "gogosync")
COMPACT_MAPPING = ["id", ["name"], "latitude", "longitude", "categories"]
OWN_SOURCE = "Carto ESS Bretagne"
BATCH = 1000
DAYS = french.WEEKDAYS

_COLUMNS = (Site.id, Site.name, Site.lat, Site.lon, Site.activity_slugs, Site.description, Site.street,
            Site.postcode, Site.commune_name, Site.website, Site.phone, Site.email, Site.opening_hours,
            Site.siret, Site.source, Site.credit, Site.created_at, Site.updated_at)


def header(session: Session, ontology: str) -> dict:
    """The members before ``data``: licence (the file's, per source), credits and the ontology."""
    # Read once per data version: a pass over every published site (0.5 s at 1,000,000), which a
    # single element's document (``/api/elements/{id}``) paid at every request.
    sources = freshness.per_version(session, ("sources and credits",), lambda: session.exec(
        select(Site.source, Site.credit).where(Site.status == SiteStatus.published).distinct()).all())
    licence_of = source_licences.of_sources(session)
    published = licence_rules.of_file({licence_of(source) for source, _ in sources})
    members = {"licence": published[0].url or published[0].id if len(published) == 1 else None,
               "licences": [{"id": lic.id, "title": lic.title, "url": lic.url} for lic in published],
               "credits": sorted({credit for _, credit in sources if credit}),
               "ontology": ontology}
    if ontology == "gogocompact":
        members["mapping"] = COMPACT_MAPPING
    return members


def elements(session: Session, taxonomy: Taxonomy, ontology: str, base_url: str,
             site_id: int | None = None) -> Iterator[str]:
    """The JSON text of each published element (one element when ``site_id`` is given)."""
    query = select(*_COLUMNS).where(Site.status == SiteStatus.published).order_by(Site.id)
    if site_id is not None:
        query = query.where(Site.id == site_id)
    write = {"gogofull": _full, "gogocompact": _compact, "gogosync": _sync}[ontology]
    result = session.connection().execution_options(yield_per=BATCH).execute(query)
    for row in result:
        yield pydantic_core.to_json(write(row, taxonomy, base_url.rstrip("/"))).decode()


def _full(row, taxonomy: Taxonomy, base_url: str) -> dict:
    (site_id, name, lat, lon, slugs, description, street, postcode, commune, website, phone, email, hours,
     siret, source, credit, created_at, updated_at) = row
    activities = [taxonomy.activities[s] for s in slugs.split(",") if s in taxonomy.activities]
    element = {
        "id": str(site_id), "name": name, "geo": {"latitude": lat, "longitude": lon},
        "sourceKey": source or OWN_SOURCE,
        "address": {"streetAddress": street, "postalCode": postcode, "addressLocality": commune,
                    "addressCountry": "FR"},
        "createdAt": _date(created_at), "updatedAt": _date(updated_at), "status": 1,
        "categories": [a.label for a in activities],
        "categoriesFull": [{"id": a.slug, "name": a.label, "index": i} for i, a in enumerate(activities)],
        "description": description, "website": website, "telephone": phone, "email": email,
        "openHours": per_day(hours), "opening_hours": hours, "siret": siret, "credit": credit,
        "url": f"{base_url}/sites/{site_id}",
    }
    return {key: value for key, value in element.items() if value not in (None, "", {})}


def _compact(row, taxonomy: Taxonomy, base_url: str) -> list:
    site_id, name, lat, lon, slugs = row[:5]
    return [str(site_id), [name], lat, lon, [s for s in slugs.split(",") if s in taxonomy.activities]]


def _sync(row, taxonomy: Taxonomy, base_url: str) -> dict:
    return {"id": str(row[0]), "createdAt": _date(row[16]), "updatedAt": _date(row[17])}


def _date(value: datetime) -> str:
    return json_value(value)


def per_day(hours: str | None) -> dict[str, str] | None:
    """GoGoCarto's ``openHours`` ({"Mo": "09:00-12:00 & 14:00-18:00", …}) of an OpenStreetMap value,
    when it says nothing but hours per weekday (public holidays closed aside); None otherwise."""
    if not hours:
        return None
    try:
        rules = french.read(hours)
    except OpeningHoursError:
        return None
    if rules.fallbacks:
        return None
    days: dict[str, str] = {}
    for rule in rules.rules:
        if rule.holidays and not rule.weekdays and rule.state is False:
            continue  # « PH off »: GoGoCarto has no public holidays; the raw value keeps it
        if (rule.months or rule.holidays or rule.always or rule.comment or rule.modifier or rule.additional
                or not rule.spans):
            return None
        for first, last in rule.weekdays:
            for day in range(first, last + 1 if last >= first else last + 8):
                days[DAYS[day % 7]] = " & ".join(f"{_clock(s.start)}-{_clock(s.end)}" for s in rule.spans)
    return {day: days[day] for day in DAYS if day in days}


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def taxonomy_tree(taxonomy: Taxonomy) -> list[dict]:
    """The taxonomy as GoGoCarto's ``/api/taxonomy.json``: one category whose options are the
    domains, each with a sub-category whose options are its activities."""
    return [{
        "id": "domaines", "name": "Domaines", "isMandatory": True, "singleOption": False,
        "displayInMenu": True, "displayInInfoBar": True,
        "options": [{
            "id": d.slug, "name": d.label, "color": d.color, "icon": f"fa fa-{d.icon}",
            "subcategories": [{
                "id": f"{d.slug}-activites", "name": "Activités", "isMandatory": False, "singleOption": False,
                "options": [{"id": a.slug, "name": a.label, "color": d.color, "icon": f"fa fa-{a.icon}"}
                            for a in d.activities],
            }],
        } for d in taxonomy.domains],
    }]
