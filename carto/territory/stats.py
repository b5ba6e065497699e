"""Counts of published sites per territory (département, pays, EPCI, pôle ESS), by domain and activity.

A site counts once in a territory however many activities it has; it counts in every pôle that
covers its commune (pôle areas may overlap). Populations are INSEE's légales: the sum of the
communes of the level, so sites per 10,000 inhabitants compare territories of any size.
"""
import math
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from carto.storage import freshness
from carto.storage.models import Commune, Pole, PoleCommune, SiteTally, Territory
from carto.core.taxonomy import Taxonomy
from carto.core.textnorm import fold
from carto.territory.territory_names import WORDS

LEVELS = {level: WORDS[level].plural_title for level in ("departement", "pays", "epci", "pole")}


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


def _combinations(session: Session, level: str | None, only: str | None = None) -> list[tuple]:
    """(territory code, combination of activities, published sites) of every territory of ``level``
    (``only``: of that one; None: the whole region, its code None), sites without any activity left
    out: a few rows per territory, added up from the counts the write path keeps
    (``carto.storage.tallies``; a pôle's from its communes'), and kept for the data version."""
    return freshness.per_version(session, ("territory combinations", level, only),
                                 lambda: _counted(session, level, only))


def _counted(session: Session, level: str | None, only: str | None) -> list[tuple]:
    # The region: every level counts every published site (those outside any territory under « »).
    tallied = "commune" if level == "pole" else level or "departement"
    keys = () if level is None else (PoleCommune.pole_id if level == "pole" else SiteTally.code,)
    query = (select(*keys, SiteTally.activities, func.sum(SiteTally.count))
             .where(SiteTally.level == tallied, SiteTally.activities != "", SiteTally.count > 0))
    if level == "pole":
        query = query.join(PoleCommune, col(PoleCommune.commune_code) == SiteTally.code)
    rows = session.exec((query.where(keys[0] == only) if only else query).group_by(*keys, SiteTally.activities)).all()
    return [tuple(row) for row in rows] if keys else [(None, *row) for row in rows]


def territory_stats(session: Session, taxonomy: Taxonomy, level: str, activities: frozenset[str] = frozenset(),
                    only: str | None = None) -> list[TerritoryCount]:
    """One row per territory of ``level`` (sorted by name), counting the ``activities`` selected;
    ``only``: just the territory of that code."""
    if level not in LEVELS:
        raise ValueError(f"niveau inconnu : « {level} » (valeurs : {', '.join(LEVELS)})")
    rows = {t.code: t for t in _territories(session, level) if only in (None, t.code)}
    domain_of = {slug: a.domain for slug, a in taxonomy.activities.items()}
    for code, combination, sites in _combinations(session, level, only):
        row = rows.get(code)
        if row is None:
            continue
        held = combination.split(",")
        if _selected(activities, held):
            row.sites += sites
        for domain in {domain_of.get(activity, "") for activity in held}:
            row.by_domain[domain] = row.by_domain.get(domain, 0) + sites
        for activity in held:
            row.by_activity[activity] = row.by_activity.get(activity, 0) + sites
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
    return sum(sites for _, combination, sites in _combinations(session, None)
               if _selected(activities, combination.split(",")))


def _selected(activities: frozenset[str], held: list[str]) -> bool:
    """Whether a site of the activities ``held`` counts in a selection of ``activities`` (none: all)."""
    return not activities or not activities.isdisjoint(held)
