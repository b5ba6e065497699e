"""``carto db check``: every derived copy of every site recomputed from its source columns.

A site row carries copies of what its point, text and activities imply (territory keys and commune
name, folded search text, stored public JSON), its activity links copy its status and position,
the text index (SQLite's FTS5 table, PostgreSQL's ``search_vector``) holds its search text, and
the map's grid cells (``SiteCell``) and the tallies per territory and label (``SiteTally``,
``LabelTally``) count the published sites. ``carto.directory.sites`` and ``carto.directory.bulk`` keep
them in step; this check proves it, site by site, then cell by cell and count by count, and ``repair``
rewrites the copies that differ through the same write path (a history version only for a site whose
territory changed: the other copies are no part of its history) and counts every cell and tally again.
"""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from carto.core import taxonomy
from carto.directory import bulk, site_json, sites
from carto.storage import cells, search_index, tallies
from carto.storage.cells import CellDifference
from carto.storage.tallies import TallyDifference
from carto.storage.models import SiteActivity
from carto.territory import locator as locators

ACTOR = "vérification de la base (carto db check --repair)"
ACTION = "repair"
TERRITORY = ("commune_code", "commune_name", "epci_code", "pays_code", "dep_code", "outside_territory")
LINKS = "liens d'activités"
TEXT_INDEX = "index de texte"
NAME_WORDS = "mots du nom indexés"
_LINKS = SiteActivity.__table__


@dataclass(frozen=True)
class Difference:
    site_id: int
    copy: str  # a column of the site, or LINKS, TEXT_INDEX or NAME_WORDS
    stored: object
    expected: object

    def describe(self) -> str:
        return f"site n° {self.site_id} : {self.copy} enregistré {_shown(self.stored)}, attendu {_shown(self.expected)}"


def _shown(value) -> str:
    if isinstance(value, list):  # activity links: (activity, status, lon, lat)
        return "[" + "; ".join(f"{a} ({s.value}, {lon}, {lat})" for a, s, lon, lat in value) + "]"
    return "aucun" if value is None else repr(value)


@dataclass
class CheckReport:
    sites: int = 0
    differences: list[Difference] = field(default_factory=list)
    repaired: int = 0  # sites rewritten
    cells: list[CellDifference] = field(default_factory=list)  # found before a repair
    cells_rebuilt: bool = False
    tallies: list[TallyDifference] = field(default_factory=list)  # found before a repair
    tallies_rebuilt: bool = False


def check(session: Session, *, repair: bool = False) -> CheckReport:
    """Every site against the geography the session sees; ``repair``: rewrite what differs."""
    report = CheckReport()
    locator = locators.current(session)
    for ids in bulk.chunks_of_ids(session):
        rows, activities = bulk.read(session, ids)
        report.sites += len(rows)
        expected = [dict(row) for row in rows]
        bulk.replace(expected, locator)
        labels = taxonomy.load()
        for want, acts in zip(expected, activities):
            bulk.derive_text(want, acts, labels)
            want.update(site_json.stored(want, acts))
        links = _links(session, ids)
        stale = search_index.stale_entries(session, {want["id"]: want["search_text"] for want in expected})
        words = search_index.indexed_words(session, ids)
        wrong = []
        for row, want, acts in zip(rows, expected, activities):
            found = _differences(row, want, acts, links.get(row["id"], []), stale, words.get(row["id"], []))
            report.differences += found
            if found:
                wrong.append((row, want, acts))
        if repair and wrong:
            _repair(session, wrong)
            report.repaired += len(wrong)
    # After the sites' repair: it moves sites between cells and tallies as any write does, by difference.
    report.cells = cells.differences(session)
    if repair and report.cells:
        cells.rebuild(session)
        report.cells_rebuilt = True
    report.tallies = tallies.differences(session)
    if repair and report.tallies:
        tallies.rebuild(session)
        report.tallies_rebuilt = True
    return report


def _differences(row: dict, want: dict, activities: list[str], links: list[tuple],
                 stale: dict[int, str | None], words: list[tuple[str, str]]) -> list[Difference]:
    columns = (*TERRITORY, "search_text", "sort_name", *site_json.COLUMNS)
    found = [Difference(row["id"], c, row[c], want[c]) for c in columns if row[c] != want[c]]
    copies = sorted((a, row["status"], row["lon"], row["lat"]) for a in activities)
    if sorted(links) != copies:
        found.append(Difference(row["id"], LINKS, sorted(links), copies))
    if row["id"] in stale:
        found.append(Difference(row["id"], TEXT_INDEX, stale[row["id"]], want["search_text"]))
    wanted_words = search_index.expected_words(want["search_text"], want["sort_name"])
    if words != wanted_words:
        found.append(Difference(row["id"], NAME_WORDS, words, wanted_words))
    return found


def _links(session: Session, ids: list[int]) -> dict[int, list[tuple]]:
    by_site: dict[int, list[tuple]] = {}
    query = select(_LINKS.c.site_id, _LINKS.c.activity, _LINKS.c.status, _LINKS.c.lon, _LINKS.c.lat)
    for site_id, *link in session.execute(query.where(_LINKS.c.site_id.in_(ids))):
        by_site.setdefault(site_id, []).append(tuple(link))
    return by_site


def _repair(session: Session, wrong: list[tuple[dict, dict, list[str]]]) -> None:
    rows = [row for row, _, _ in wrong]
    before = [sites.snapshot_of(row, acts) for row, _, acts in wrong]
    for row, want, _ in wrong:
        row.update({k: want[k] for k in TERRITORY})
    bulk.rewrite_sites(session, rows, [acts for _, _, acts in wrong], before, actor=ACTOR, action=ACTION,
                       copies=True)
