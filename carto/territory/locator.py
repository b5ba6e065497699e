"""Point → commune → EPCI, pays, département and pôles, in memory (shapely STRtree).

Built from the database and used by the write path, so territory filters are plain indexed
columns at read time. Vectorised for bulk work (imports, benchmarks). A locator belongs to one
version of the geography (``carto.storage.freshness``): ``current`` gives the one of the version a
session sees, built once per process and version.
"""
import weakref
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from sqlalchemy import Engine
from sqlmodel import Session, select

from carto.core.textnorm import fold, words
from carto.storage import freshness
from carto.storage.models import Commune, PoleCommune


@dataclass(frozen=True)
class Placement:
    commune_code: str
    commune_name: str
    epci_code: str | None
    pays_code: str | None
    dep_code: str
    poles: tuple[str, ...] = field(default=())


class Locator:
    def __init__(self, communes: list[Commune], pole_links: list[PoleCommune], version: int | None = None):
        self.version = version  # of the geography it was built from (None: built from given rows)
        self.communes = communes
        self._by_code = {c.code: c for c in communes}
        self.codes = np.array([c.code for c in communes], dtype=object)
        self.geometries = _outlines([c.geometry for c in communes])
        self.tree = shapely.STRtree(self.geometries)
        poles: dict[str, list[str]] = {}
        for link in pole_links:
            poles.setdefault(link.commune_code, []).append(link.pole_id)
        self.placements = {
            c.code: Placement(c.code, c.name, c.epci_code, c.pays_code, c.dep_code, tuple(sorted(poles.get(c.code, ()))))
            for c in communes}

    @classmethod
    def from_db(cls, session: Session) -> "Locator":
        # Ordered, so that everything drawn from the communes (demo data) is the same on every backend.
        version = freshness.geography_version(session)
        communes = list(session.exec(select(Commune).order_by(Commune.code)))
        links = list(session.exec(select(PoleCommune)))
        for row in (*communes, *links):  # kept as read: the session may commit (expire) and close
            session.expunge(row)
        return cls(communes, links, version)

    @property
    def enabled(self) -> bool:
        return bool(self.communes)

    def locate_many(self, lons, lats) -> np.ndarray:
        """INSEE code of the commune containing each point (None outside every commune)."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        result = np.full(len(points), None, dtype=object)
        if not self.enabled:
            return result
        point_idx, commune_idx = self.tree.query(points, predicate="intersects")
        # A point on a shared border touches two communes; keep the first, deterministically.
        result[point_idx[::-1]] = self.codes[commune_idx[::-1]]
        return result

    def locate(self, lon: float, lat: float) -> Placement | None:
        code = self.locate_many([lon], [lat])[0]
        return self.placements[code] if code is not None else None

    def placement(self, commune_code: str) -> Placement | None:
        return self.placements.get(commune_code)

    def commune(self, code: str) -> Commune | None:
        return self._by_code.get(code)

    def matching_communes(self, postcode: str = "", name: str = "") -> list[Commune]:
        """The communes with this postcode and/or this whole name (accents, case and hyphens ignored),
        in name order: the one matcher of a typed commune (forms, imports, Sirene addresses)."""
        by_postcode, by_name = self._lookup
        fits = None
        if postcode.strip():
            fits = set(by_postcode.get(postcode.strip(), ()))
        if name.strip():
            named = set(by_name.get(tuple(words(name)), ()))
            fits = named if fits is None else fits & named
        return sorted((self._by_code[code] for code in fits or ()), key=lambda c: (fold(c.name), c.code))

    def find_commune(self, postcode: str = "", name: str = "") -> str | None:
        """The INSEE code of the one commune that matches; None when none or several do."""
        fits = self.matching_communes(postcode, name)
        return fits[0].code if len(fits) == 1 else None

    @cached_property
    def _lookup(self) -> tuple[dict[str, list[str]], dict[tuple, list[str]]]:
        by_postcode: dict[str, list[str]] = {}
        by_name: dict[tuple, list[str]] = {}
        for c in self.communes:
            for postcode in filter(None, c.postcodes.split(",")):
                by_postcode.setdefault(postcode.strip(), []).append(c.code)
            by_name.setdefault(tuple(words(c.name)), []).append(c.code)
        return by_postcode, by_name

    def centre(self, commune_code: str) -> tuple[float, float] | None:
        """The point used as a commune's centre (inside it, unlike a centroid)."""
        commune = self._by_code.get(commune_code)
        return (commune.lon, commune.lat) if commune else None


def _outlines(texts: list[str]) -> np.ndarray:
    """The communes' outlines parsed from their GeoJSON, kept while the texts stay the same: a pôles
    load (a new geography version, the same communes) or another database of the same communes
    parse none again (1,202 outlines: half of a locator's ~100 ms). Geometries are immutable."""
    global _parsed
    known, geometries = _parsed
    if texts != known:
        geometries = shapely.from_geojson(texts) if texts else np.array([])
        _parsed = (texts, geometries)
    return geometries


_parsed: tuple[list[str], np.ndarray] = ([], np.array([]))  # the last communes' texts and outlines

# engine → the locator of the newest geography this process saw in its database. Weak: a locator
# (~8 MB: every commune's outline) goes with its engine, where a process opening many databases in
# turn (the test suite: one per test) kept one per database it had ever opened.
_newest: "weakref.WeakKeyDictionary[Engine, Locator]" = weakref.WeakKeyDictionary()


def current(session: Session, known: Locator | None = None) -> Locator:
    """The locator of the geography ``session`` sees: ``known`` when it is of that version, else the
    one this process built for it, else a new one (a territory or pôles load, by any process)."""
    version = freshness.geography_version(session)
    if known is not None and known.version == version:
        return known
    engine = session.get_bind().engine  # the bind: an engine, or a connection of it
    newest = _newest.get(engine)
    if newest is None or newest.version != version:
        newest = _newest[engine] = Locator.from_db(session)
    return newest
