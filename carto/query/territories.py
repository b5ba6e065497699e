"""Territories for reading: communes, EPCI, pays and départements, searched by name, code or postcode.

The public API and the map's place search ask for a territory by a few letters of its name (« quimp »
finds Quimper, « plouguer » Carhaix-Plouguer, « st malo » Saint-Malo), by its code or by a postcode,
and need its centre and bounding box to zoom. All of that is small (about 1,300 territories) and
changes only when territories are loaded, so it is held in memory, built from the database on first
use and rebuilt whenever the locator is (``Carto.refresh`` after a territory load).
Geometry is read from the database only when asked for.
"""
import json
import re
import weakref
from dataclasses import dataclass, field

import shapely
from sqlmodel import Session, col, select

from carto.directory.service import Service
from carto.territory.locator import Locator
from carto.territory.territory_names import WORDS
from carto.storage.models import Commune, Territory
from carto.core.textnorm import fold, words
from carto.directory import geojson

# A level is named in the singular everywhere in the code, as ``Territory.level`` stores it and the
# site filters take it; the plural names the collection of a level in public URLs
# (``/api/territories/departements``), and only there.
COLLECTIONS = {"communes": "commune", "epci": "epci", "pays": "pays", "departements": "departement"}
LEVELS = tuple(COLLECTIONS.values())
# Common abbreviations in French place names, expanded before matching.
ABBREVIATIONS = {"st": "saint", "ste": "sainte"}
_NOT_ALNUM = re.compile(r"[^0-9a-z]")


class UnknownLevel(ValueError):
    def __init__(self, collection: str):
        super().__init__(f"niveau inconnu : « {collection} » (attendu : {', '.join(COLLECTIONS)})")


def level_of(collection: str) -> str:
    """The level whose collection a public URL names (« departements » → « departement »)."""
    if collection not in COLLECTIONS:
        raise UnknownLevel(collection)
    return COLLECTIONS[collection]


@dataclass
class Entry:
    """One territory as the API shows it, plus what matching needs."""
    level: str  # commune | epci | pays | departement
    code: str
    name: str
    population: int
    centre: tuple[float, float]  # a point inside the territory (lon, lat)
    bbox: tuple[float, float, float, float]
    parents: dict  # codes of the enclosing territories: str for a commune, sorted lists otherwise
    extra: dict = field(default_factory=dict)  # codes_postaux, n_communes, type
    postcodes: tuple[str, ...] = ()
    words: tuple[str, ...] = field(default=(), repr=False)
    compact: str = field(default="", repr=False)  # folded name without spaces nor punctuation
    folded: str = field(default="", repr=False)  # to sort names accents aside

    def as_dict(self) -> dict:
        return {"code": self.code, "nom": self.name, "population": self.population, **self.extra,
                **self.parents, "centre": list(self.centre), "bbox": list(self.bbox)}


@dataclass
class Page:
    total: int
    entries: list[Entry]


class TerritoryIndex:
    def __init__(self, entries: list[Entry]):
        self.levels: dict[str, list[Entry]] = {level: [] for level in LEVELS}
        for entry in entries:
            self.levels[entry.level].append(entry)
        self.by_code = {(e.level, e.code): e for e in entries}

    @classmethod
    def build(cls, session: Session, locator: Locator) -> "TerritoryIndex":
        return cls(_commune_entries(session, locator) + _territory_entries(session))


def _rounded(values, digits: int = 5) -> tuple:
    return tuple(round(float(v), digits) for v in values)


def _name_keys(name: str) -> dict:
    folded = fold(name)
    return {"words": tuple(words(name)), "compact": _NOT_ALNUM.sub("", folded), "folded": folded}


def _commune_entries(session: Session, locator: Locator) -> list[Entry]:
    # The locator already holds every commune's parsed outline: its bounds cost nothing.
    bounds = dict(zip(locator.codes, shapely.bounds(locator.geometries))) if locator.enabled else {}
    entries = []
    for c in locator.communes:
        postcodes = tuple(p for p in c.postcodes.split(",") if p)
        entries.append(Entry(
            "commune", c.code, c.name, c.population, (c.lon, c.lat), _rounded(bounds[c.code]),
            {"epci": c.epci_code, "pays": c.pays_code, "departement": c.dep_code},
            {"codes_postaux": list(postcodes)}, postcodes, **_name_keys(c.name)))
    return entries


def _territory_entries(session: Session) -> list[Entry]:
    rows = session.exec(select(Territory).order_by(Territory.level, Territory.code)).all()
    parents = _parent_codes(session)
    geoms = shapely.from_geojson([t.geometry for t in rows]) if rows else []
    entries = []
    for t, geom in zip(rows, geoms):
        centre = shapely.point_on_surface(geom)
        extra = {"n_communes": t.n_communes} | ({"type": t.kind} if t.level == "epci" else {})
        entries.append(Entry(t.level, t.code, t.name, t.population, _rounded((centre.x, centre.y)),
                             _rounded(shapely.bounds(geom)), parents.get((t.level, t.code), {}), extra,
                             **_name_keys(t.name)))
    return entries


def _parent_codes(session: Session) -> dict[tuple[str, str], dict[str, list[str]]]:
    """For each EPCI and pays, the pays and départements its communes belong to (lists: some straddle)."""
    found: dict[tuple[str, str], dict[str, set[str]]] = {}
    for epci, pays, dep in session.exec(select(Commune.epci_code, Commune.pays_code, Commune.dep_code)):
        if epci:
            parents = found.setdefault(("epci", epci), {"pays": set(), "departements": set()})
            parents["departements"].add(dep)
            if pays:
                parents["pays"].add(pays)
        if pays:
            found.setdefault(("pays", pays), {"departements": set()})["departements"].add(dep)
    return {key: {name: sorted(codes) for name, codes in parents.items()} for key, parents in found.items()}


_indexes: "weakref.WeakKeyDictionary[Locator, TerritoryIndex]" = weakref.WeakKeyDictionary()


def index(service: Service) -> TerritoryIndex:
    locator = service.locator
    built = _indexes.get(locator)
    if built is None:
        with service.session() as session:
            built = _indexes[locator] = TerritoryIndex.build(session, locator)
    return built


def unknown(level: str, code: str) -> str:
    """The French message for a code that names no territory of ``level``."""
    return f"{WORDS[level].unknown} : « {code} »"


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown territory level: {level!r}")  # a caller's mistake, not the user's


def exists(service: Service, level: str, code: str) -> bool:
    return (level, code) in index(service).by_code


def get(service: Service, level: str, code: str) -> Entry | None:
    _check_level(level)
    return index(service).by_code.get((level, code))


def _match_rank(entry: Entry, query_words: list[str], compact: str) -> int | None:
    """0: the whole name; 1: whole words of it (« plouguer »: Carhaix-Plouguer before Plouguerneau);
    2: the start of the name; 3: the start of some of its words."""
    if entry.compact == compact:
        return 0
    if all(q in entry.words for q in query_words):
        return 1
    if entry.compact.startswith(compact):
        return 2
    if all(any(w.startswith(q) for w in entry.words) for q in query_words):
        return 3
    return None


def search(service: Service, level: str, q: str | None = None, codes: list[str] | None = None,
           postcode: str | None = None, limit: int = 20, offset: int = 0) -> Page:
    """Territories of ``level`` matching every criterion given; best name matches first, then the
    most populated. ``q`` is a name, or digits: the start of a code (or of a postcode for communes)."""
    _check_level(level)
    entries = index(service).levels[level]
    ranked = [(0, e) for e in entries]
    if codes:
        wanted = set(codes)
        ranked = [(r, e) for r, e in ranked if e.code in wanted]
    if postcode:
        ranked = [(r, e) for r, e in ranked if postcode in e.postcodes]
    text = (q or "").strip()
    if text.isdigit():
        ranked = [(0 if e.code == text else 1 if text in e.postcodes else 2, e) for _r, e in ranked
                  if e.code.startswith(text) or any(p.startswith(text) for p in e.postcodes)]
    elif text:
        query_words = [ABBREVIATIONS.get(w, w) for w in words(text)]
        compact = "".join(query_words)
        if not compact:
            return Page(0, [])
        ranked = [(rank, e) for _r, e in ranked if (rank := _match_rank(e, query_words, compact)) is not None]
    ranked.sort(key=lambda item: (item[0], -item[1].population, item[1].folded, item[1].code))
    return Page(len(ranked), [e for _r, e in ranked[offset:offset + limit]])


def geometries(session: Session, level: str, codes: list[str]) -> dict[str, dict]:
    """GeoJSON geometry of each territory of ``level`` among ``codes`` (read only when asked for)."""
    _check_level(level)
    if level == "commune":
        query = select(Commune.code, Commune.geometry).where(col(Commune.code).in_(codes))
    else:
        query = (select(Territory.code, Territory.geometry)
                 .where(Territory.level == level).where(col(Territory.code).in_(codes)))
    return {code: geojson.area(json.loads(geometry)) for code, geometry in session.exec(query)}


def counts(service: Service) -> dict[str, int]:
    return {level: len(entries) for level, entries in index(service).levels.items()}
