"""Cursor paging of site lists, beside ``offset``.

A cursor carries the sort key of the last site of a page, so the next page starts right after it:
pages stay stable while sites are added or removed, and going deep costs an index seek instead of
skipping ``offset`` rows. Sorted by distance (``near``) there is no stored key, so the cursor
holds the position. Cursors are opaque to clients (URL-safe base64 of a small JSON).
"""
import base64
import binascii
import json
from dataclasses import dataclass

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from carto import search
from carto.models import Site
from carto.search import Page, SiteFilter


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    after: tuple[str, int] | None = None  # (name, id) of the last site shown, in name order
    position: int | None = None  # in distance order

    def encode(self) -> str:
        data = {"a": list(self.after)} if self.after else {"p": self.position}
        return base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, raw: str) -> "Cursor":
        try:
            data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            if "a" in data:
                name, site_id = data["a"]
                if isinstance(name, str) and isinstance(site_id, int):
                    return cls(after=(name, site_id))
            elif isinstance(data.get("p"), int) and data["p"] >= 0:
                return cls(position=data["p"])
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, AttributeError):
            pass
        raise BadCursor("curseur illisible : reprenez le « next_cursor » d'une réponse précédente")


def find(session: Session, f: SiteFilter, limit: int, offset: int = 0,
         cursor: Cursor | None = None) -> tuple[Page, Cursor | None]:
    """A page of sites (name order, or distance with ``near``) and the cursor of the next page."""
    if cursor is not None and (cursor.position is not None) != bool(f.near):
        raise BadCursor("ce curseur vient d'une liste triée autrement (avec ou sans near)")
    if cursor is not None and cursor.after:
        page, more = _after(session, f, cursor.after, limit)
    else:
        start = cursor.position if cursor is not None else offset
        page = search.find(session, f, limit=limit, offset=start)
        more = start + len(page.sites) < page.total
        offset = start
    if not more or not page.sites:
        return page, None
    if f.near:
        return page, Cursor(position=offset + len(page.sites))
    last = page.sites[-1]
    return page, Cursor(after=(last.name, last.id))


def _after(session: Session, f: SiteFilter, after: tuple[str, int], limit: int) -> tuple[Page, bool]:
    where = search.conditions(session, f)
    total = search.find(session, f, limit=0).total
    sites = session.exec(select(Site).where(*where, tuple_(col(Site.name), col(Site.id)) > tuple_(*after))
                         .order_by(col(Site.name), col(Site.id)).limit(limit + 1)).all()
    return Page(total, list(sites[:limit])), len(sites) > limit
