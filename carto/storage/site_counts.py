"""The counts the write path keeps of the published sites, moved by every writer in one step: the
map's grid cells (``cells``: clusters, a view's total and counts per activity) and the tallies per
territory and label (``tallies``: statistics, the pôles, the supplier form).

A writer hands its sites as they were and as they are (``counted``, then ``change``, or ``deltas``
and ``upsert`` for a batch prepared ahead of its write): a new writer cannot keep one count and
forget the other, and ``carto db check`` finds either wrong."""
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from carto.storage import cells, tallies


@dataclass(frozen=True, slots=True)
class Counted:
    """How a site is counted in each (None: not published, counted nowhere)."""
    cell: cells.Counted | None
    tally: tallies.Counted | None


@dataclass
class Deltas:
    """What ``change`` upserts, computed apart from the database."""
    cells: list[tuple]
    tallies: tallies.Deltas


def counted(values, activities: Iterable[str]) -> Counted:
    """From a site's column values (a row, a snapshot or a Site) and its activities."""
    activities = list(activities)
    return Counted(cells.counted(values, activities), tallies.counted(values, activities))


def change(session: Session, before: Iterable[Counted], after: Iterable[Counted]) -> None:
    """Move sites from what they were counted in (``before``) to what their new values are counted
    in (``after``); a site counted the same way before and after is not touched."""
    upsert(session, deltas(before, after))


def deltas(before: Iterable[Counted], after: Iterable[Counted]) -> Deltas:
    before, after = list(before), list(after)
    return Deltas(cells.deltas([c.cell for c in before], [c.cell for c in after]),
                  tallies.deltas([c.tally for c in before], [c.tally for c in after]))


def upsert(session: Session, batch: Deltas) -> None:
    cells.upsert(session, batch.cells)
    tallies.upsert(session, batch.tallies)
