"""A new geography (INSEE publishes a COG every January: communes merge, EPCI change): every site
is placed again, in the transaction that loads the layer.

A site's commune, EPCI, pays, département and pôles are columns computed when it is written (see
``carto.directory.sites``); a new layer makes them stale for every site at once. The points are
located again in one vectorised pass over light columns; only the sites whose territory changed are
then read whole and rewritten through ``carto.directory.bulk``, each with a history version that
says what changed, its pôles included (actor « mise à jour de la géographie »).
"""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from carto.directory import bulk, sites
from carto.territory.locator import Locator

ACTOR = "mise à jour de la géographie"
ACTION = "geography"
SITE = bulk.SITE
_LIGHT = (SITE.c.id, SITE.c.name, SITE.c.lon, SITE.c.lat, SITE.c.commune_code, SITE.c.commune_name,
          SITE.c.epci_code, SITE.c.pays_code, SITE.c.dep_code, SITE.c.outside_territory)
TERRITORY = ("commune_code", "commune_name", "epci_code", "pays_code", "dep_code", "outside_territory")
LEVELS = ("commune_code", "epci_code", "pays_code", "dep_code", "poles")


@dataclass(frozen=True)
class Move:
    """A site whose territory changed at one level: its codes before and after."""
    site_id: int
    name: str
    before: str | tuple | None
    after: str | tuple | None


@dataclass
class GeographyReport:
    territories: dict[str, int] = field(default_factory=dict)  # what the layer held, per level
    sites: int = 0  # sites placed again
    changed: int = 0  # of which written with a new history version
    moves: dict[str, list[Move]] = field(default_factory=lambda: {level: [] for level in LEVELS})
    outside: list[Move] = field(default_factory=list)  # now outside every commune (before: its commune)
    dry_run: bool = False


def replace_sites(session: Session, locator: Locator, poles_before: dict[str, tuple[str, ...]],
                  report: GeographyReport) -> GeographyReport:
    """Place every site again with ``locator`` (built from the new geography); ``poles_before``:
    the pôles that covered each commune before the change (``poles.poles_by_commune``)."""
    if not locator.enabled:
        return report
    after = 0
    while light := [dict(r) for r in session.execute(select(*_LIGHT).where(SITE.c.id > after).order_by(SITE.c.id)
                                                      .limit(bulk.READ_CHUNK)).mappings()]:
        after = light[-1]["id"]
        report.sites += len(light)
        placed = [dict(r) for r in light]
        bulk.replace(placed, locator)
        moved = {}
        for old, new in zip(light, placed):
            poles = (poles_before.get(old["commune_code"], ()), _poles(locator, new["commune_code"]))
            if poles[0] != poles[1] or any(old[k] != new[k] for k in TERRITORY):
                moved[old["id"]] = (old, new, poles)
        if moved:
            _rewrite(session, moved, report)
    return report


def _poles(locator: Locator, commune_code: str | None) -> tuple[str, ...]:
    placement = locator.placement(commune_code) if commune_code else None
    return placement.poles if placement else ()


def _rewrite(session: Session, moved: dict[int, tuple], report: GeographyReport) -> None:
    rows, activities = bulk.read(session, list(moved))
    before = [sites.snapshot_of(row, acts) for row, acts in zip(rows, activities)]
    noted = []
    for row in rows:
        old, new, poles = moved[row["id"]]
        row.update({k: new[k] for k in TERRITORY})
        noted.append({"poles": [list(poles[0]), list(poles[1])]} if poles[0] != poles[1] else {})
        _note(report, old, new, poles)
    diffs = bulk.rewrite_sites(session, rows, activities, before, actor=ACTOR, action=ACTION, noted=noted)
    report.changed += sum(1 for d in diffs if d)


def _note(report: GeographyReport, old: dict, new: dict, poles: tuple) -> None:
    for level in LEVELS:
        before, after = poles if level == "poles" else (old[level], new[level])
        if before != after:
            report.moves[level].append(Move(old["id"], old["name"], before, after))
    if new["outside_territory"] and not old["outside_territory"]:
        report.outside.append(Move(old["id"], old["name"], old["commune_name"], None))
