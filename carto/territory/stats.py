"""Counts of published sites per territory (département, pays, EPCI, pôle ESS), by domain and activity.

A site counts once in a territory however many activities it has; it counts in every pôle that
covers its commune (pôle areas may overlap). Populations are INSEE's légales: the sum of the
communes of the level, so sites per 10,000 inhabitants compare territories of any size.
"""
import math
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from carto.storage.models import Commune, Pole, PoleCommune, Site, SiteActivity, SiteStatus, Territory
from carto.core.taxonomy import Taxonomy
from carto.core.textnorm import fold
from carto.territory.territory_names import WORDS

LEVELS = {level: WORDS[level].plural_title for level in ("departement", "pays", "epci", "pole")}
_SITE_KEY = {"departement": Site.dep_code, "pays": Site.pays_code, "epci": Site.epci_code}


@dataclass
class TerritoryCount:
    code: str
    name: str
    population: int
    sites: int = 0  # published sites of the selected activities (all activities when none)
    by_domain: dict[str, int] = field(default_factory=dict)  # published sites per domain
    by_activity: dict[str, int] = field(default_factory=dict)

    @property
    def per_10k(self) -> float | None:
        """Sites of the selection per 10,000 inhabitants (None without a population)."""
        return round(self.sites * 10_000 / self.population, 2) if self.population else None


def _territories(session: Session, level: str) -> list[TerritoryCount]:
    if level == "pole":
        query = (select(Pole.id, Pole.name, func.coalesce(func.sum(Commune.population), 0))
                 .join(PoleCommune, col(PoleCommune.pole_id) == Pole.id, isouter=True)
                 .join(Commune, col(Commune.code) == PoleCommune.commune_code, isouter=True)
                 .group_by(Pole.id, Pole.name))
    else:
        query = select(Territory.code, Territory.name, Territory.population).where(Territory.level == level)
    return [TerritoryCount(code, name, population or 0) for code, name, population in session.exec(query)]


def _site_activities(session: Session, level: str, only: str | None):
    """(territory code, site id, activity) of every published site (of territory ``only`` if given)."""
    key = PoleCommune.pole_id if level == "pole" else _SITE_KEY[level]
    query = select(key, Site.id, SiteActivity.activity)
    if level == "pole":
        query = query.select_from(PoleCommune).join(Site, col(Site.commune_code) == PoleCommune.commune_code)
    query = query.join(SiteActivity, col(SiteActivity.site_id) == Site.id).where(Site.status == SiteStatus.published)
    return session.exec(query.where(key == only) if only else query)


def territory_stats(session: Session, taxonomy: Taxonomy, level: str, activities: frozenset[str] = frozenset(),
                    only: str | None = None) -> list[TerritoryCount]:
    """One row per territory of ``level`` (sorted by name), counting the ``activities`` selected;
    ``only``: just the territory of that code."""
    if level not in LEVELS:
        raise ValueError(f"niveau inconnu : « {level} » (valeurs : {', '.join(LEVELS)})")
    rows = {t.code: t for t in _territories(session, level) if only in (None, t.code)}
    domain_of = {slug: a.domain for slug, a in taxonomy.activities.items()}
    selected: dict[str, set[int]] = {}
    domains: dict[tuple[str, str], set[int]] = {}
    by_activity: dict[tuple[str, str], set[int]] = {}
    for code, site_id, activity in _site_activities(session, level, only):
        if code not in rows:
            continue
        if not activities or activity in activities:
            selected.setdefault(code, set()).add(site_id)
        domains.setdefault((code, domain_of.get(activity, "")), set()).add(site_id)
        by_activity.setdefault((code, activity), set()).add(site_id)
    for (code, domain), ids in domains.items():
        rows[code].by_domain[domain] = len(ids)
    for (code, activity), ids in by_activity.items():
        rows[code].by_activity[activity] = len(ids)
    for code, ids in selected.items():
        rows[code].sites = len(ids)
    return sorted(rows.values(), key=lambda t: fold(t.name))


def geometries(session: Session, level: str) -> dict[str, str]:
    """GeoJSON geometry (text) of each territory of ``level``, for the choropleth."""
    if level == "pole":
        query = select(Pole.id, Pole.geometry).where(col(Pole.geometry).is_not(None))
    else:
        query = select(Territory.code, Territory.geometry).where(Territory.level == level)
    return dict(session.exec(query).all())


def class_breaks(values: list[float], n: int = 5) -> list[float]:
    """Upper bounds of at most ``n`` classes holding about as many territories each (quantiles)."""
    ordered = sorted(values)
    if not ordered:
        return []
    return sorted({ordered[math.ceil(len(ordered) * (i + 1) / n) - 1] for i in range(n)})


def class_of(value: float | None, breaks: list[float]) -> int | None:
    """Index of the class of ``value`` (None: no value, e.g. a territory without population)."""
    if value is None:
        return None
    return next((i for i, upper in enumerate(breaks) if value <= upper), len(breaks) - 1)


def region_total(session: Session, activities: frozenset[str] = frozenset()) -> int:
    """Published sites of the selection in the whole region (a site in two pôles counts once)."""
    query = (select(func.count(func.distinct(Site.id))).join(SiteActivity, col(SiteActivity.site_id) == Site.id)
             .where(Site.status == SiteStatus.published))
    if activities:
        query = query.where(col(SiteActivity.activity).in_(activities))
    return session.exec(query).one()
