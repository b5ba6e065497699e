"""Pages of filtered sites for the read API: offset or cursor, whole sites or a few columns.

A cursor carries the sort key of the last site of a page, so the next page starts right after it:
pages stay stable while sites are added or removed, and going deep costs an index seek instead of
skipping ``offset`` rows. Sorted by distance (``near``) there is no stored key, so the cursor
holds the position. Cursors are opaque to clients (URL-safe base64 of a small JSON).

The map asks for up to 1,000 markers at a time: reading only the few columns a page needs (the
sites' stored JSON, ``carto.directory.site_json``) as plain rows is many times faster than building ORM
objects, hence ``columns``.
"""
import base64
import binascii
import json
from dataclasses import dataclass

from sqlmodel import Session

from carto.directory import site_json

from carto.query import cells, search

from carto.storage import search_index
from carto.query.search import Page, SiteFilter


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    after: tuple[str, int] | None = None  # (sort key, id) of the last site shown, in name order
    position: int | None = None  # in distance order
    tier: int = 0  # of relevance, with a text query (``search.in_order``)

    def encode(self) -> str:
        data = ({"a": list(self.after)} | ({"t": self.tier} if self.tier else {})) if self.after else {"p": self.position}
        return base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, raw: str) -> "Cursor":
        try:
            data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            if "a" in data:
                name, site_id = data["a"]
                tier = data.get("t", 0)
                if isinstance(name, str) and isinstance(site_id, int) and tier in (0, 1, 2):
                    return cls(after=(name, site_id), tier=tier)
            elif isinstance(data.get("p"), int) and data["p"] >= 0:
                return cls(position=data["p"])
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, AttributeError):
            pass
        raise BadCursor("curseur illisible : reprenez le « next_cursor » d'une réponse précédente")


def find(session: Session, f: SiteFilter, limit: int, offset: int = 0, cursor: Cursor | None = None,
         columns: tuple = site_json.MARKER_COLUMNS) -> tuple[Page, Cursor | None]:
    """A page of sites as rows of ``columns``, by name (or by distance with ``near``), and the cursor
    of the next page. ``columns`` hold ``Site.id`` and ``Site.sort_name``: the cursor is made of them."""
    if cursor is not None and (cursor.position is not None) != bool(f.near):
        raise BadCursor("ce curseur vient d'une liste triée autrement (avec ou sans near)")
    if f.near:
        start = cursor.position if cursor is not None else offset
        page = search.find(session, f, limit=limit, offset=start, columns=columns)
        more = start + len(page.sites) < page.total
        return page, Cursor(position=start + len(page.sites)) if more and page.sites else None
    matching = search.conditions_of(session, f)

    def counted() -> tuple[int, bool]:  # its conditions built only when it counts (most town views do not)
        return search.count(session, f, matching)

    # SQLite's plan depends on the count (see search.name_order); on PostgreSQL the count waits (a
    # first page that holds every match is its own count, as in most town views) and an estimate
    # from the cells chooses the plan of a view's markers, which the name index holds (a walk that
    # read each site's row, for other columns or conditions, would be planned as a scan of the table).
    total = counted() if search_index.box_index_hides(session) else None
    from_index = columns == site_json.MARKER_COLUMNS and not matching.others
    about = total[0] if total else cells.estimate(session, f) if f.bbox and cells.usable(f) and from_index else None
    after = (cursor.tier, *cursor.after) if cursor is not None else None
    ranked = search.in_order(session, matching, f.q, about, limit + 1,
                             lambda query, values=None: search.rows(session, query, values), columns,
                             offset=0 if cursor else offset, after=after)
    sites = [row for _, row in ranked[:limit]]
    whole = total is None and cursor is None and len(ranked) <= limit and (ranked or offset == 0)
    page = Page(offset + len(ranked), sites) if whole else search.counted_page(counted() if total is None else total, sites)
    if len(ranked) <= limit:
        return page, None
    tier, last = ranked[limit - 1]
    name = last.sort_name  # UTF-8 bytes in a page's columns (site_json.Utf8)
    return page, Cursor(after=(name.decode() if isinstance(name, bytes) else name, last.id), tier=tier)
