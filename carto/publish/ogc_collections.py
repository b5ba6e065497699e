"""The feature collections of OGC API – Features: sites, pôles and communes.

Each collection is a provider behind one small interface (as in pygeoapi): metadata, the property
filters it accepts (its queryables), a spatial extent, a page of features and one feature. Filters
arrive as plain strings and are checked here; a bad one raises ``params.ParamError``.
"""
from dataclasses import dataclass, field

from carto.core import licences
from carto.core.licences import Licence
from carto.storage import freshness, source_licences

import pydantic_core
import shapely
from sqlalchemy import func
from sqlmodel import Session, select

from carto.directory import geojson, public_fields, site_json

from carto.query import paging, params, search, territories
from carto.directory.service import Service
from carto.storage.models import Pole, PoleCommune
from carto.query.search import Box


@dataclass(frozen=True)
class Queryable:
    description: str
    schema: dict = field(default_factory=lambda: {"type": "string"})
    title: str | None = None  # French label of the property (the name when None)


@dataclass
class ItemsPage:
    total: int
    returned: int
    features: list[bytes]  # the features' JSON, comma-separated, in pieces, UTF-8 (sites come stored as such: carto.directory.site_json)
    exact: bool = True  # else ``total`` is a lower bound (``carto.query.search.COUNT_LIMIT``)
    next_cursor: str | None = None  # where the next page starts, for a collection paged by cursor


def _page(total: int, features: list[dict]) -> ItemsPage:
    return ItemsPage(total, len(features), site_json.separated(pydantic_core.to_json(feature) for feature in features))


def _union(boxes: list[Box]) -> Box | None:
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _region_extent(service: Service) -> Box | None:
    return _union([e.bbox for e in territories.index(service).levels["departement"]])


def _intersecting(geometries: list, box: Box) -> list[bool]:
    return list(shapely.intersects(geometries, shapely.box(*box)))


class Collection:
    id: str
    title: str
    description: str
    queryables: dict[str, Queryable] = {}  # the properties items may be filtered on, by name
    others: dict[str, Queryable] = {}  # filters of items that are no property (a text search…)
    columns: tuple[tuple[str, str], ...] = ()  # (label, property) shown in the HTML table
    keywords: tuple[str, ...] = ()

    @property
    def parameters(self) -> dict[str, Queryable]:
        """Every filter of the items: the queryables, then the others."""
        return self.queryables | self.others

    def extent(self, service: Service, session: Session) -> Box | None:
        return _region_extent(service)

    def licences(self, session: Session) -> list[Licence]:
        """The licences of the collection as a whole (ours: pôles, IGN and INSEE contours)."""
        return [licences.OWN]

    def item_licences(self, session: Session, feature: dict) -> list[Licence]:
        return self.licences(session)

    def items(self, service: Service, session: Session, filters: dict[str, str], bbox: Box | None,
              limit: int, offset: int) -> ItemsPage:
        raise NotImplementedError

    def item(self, service: Service, session: Session, fid: str) -> dict | None:
        raise NotImplementedError


class Sites(Collection):
    id = "sites"
    title = "Sites de l'ESS en Bretagne"
    description = ("Structures de l'économie sociale et solidaire (réemploi, réparation, mobilité durable…), "
                   "avec leurs activités et leurs territoires. Les sites « [Démo] » sont fictifs.")
    keywords = ("ESS", "économie sociale et solidaire", "réemploi", "Bretagne")
    # Queryables are named after the properties they test (OGC API – Features Part 3), not after the
    # parameters of /api.
    queryables = {f.property: Queryable(f.description, f.schema, public_fields.BY_NAME[f.property].title)
                  for f in params.FILTERS if f.queryable and f.property}
    others = {f.name: Queryable(f.description, f.schema) for f in params.FILTERS if f.queryable and not f.property} | {
        "cursor": Queryable("Suite de la liste : le curseur que donne le lien « next » de la page précédente "
                            "(une page loin dans la liste coûte autant que la première, où offset relit "
                            "tout ce qui la précède)", {"type": "string"})}
    _filter_of = {f.property or f.name: f.name for f in params.FILTERS if f.queryable}
    columns = (("Nom", "nom"), ("Commune", "commune"), ("Activités", "activites"))

    def extent(self, service, session):
        return search.extent(session) or _region_extent(service)

    def licences(self, session):
        # Share-alike licences bind the collection as a whole; each site states its own (item_licences).
        # Every page of items names them: read once per data version (recording one moves it).
        return freshness.per_version(session, ("licences of the sites",),
                                  lambda: licences.of_file(source_licences.recorded(session)))

    def item_licences(self, session, feature):
        return [source_licences.of_sources(session)(feature["properties"].get("source"))]

    def items(self, service, session, filters, bbox, limit, offset):
        try:
            f = params.site_filter(service, session, {name: filters.get(given) for given, name in self._filter_of.items()})
        except params.ParamError as e:  # named as the client named it
            given = {name: given for given, name in self._filter_of.items()}.get(e.param, e.param)
            raise params.ParamError(given, str(e), e.status, e.choices) from None
        f.bbox = bbox
        try:
            page, following = paging.find(session, f, limit, offset, _cursor(filters.get("cursor"), offset),
                                          columns=site_json.FEATURE_COLUMNS)
        except paging.BadCursor as e:
            raise params.ParamError("cursor", str(e)) from None
        return ItemsPage(page.total, len(page.sites), service.pieces.features(page.sites, {}),
                         page.total_exact, following.encode() if following else None)

    def item(self, service, session, fid):
        number = params.parse_id(fid)
        feature = site_json.published_feature(session, service.pieces, number) if number is not None else None
        return pydantic_core.from_json(feature) if feature else None


def _cursor(raw: str | None, offset: int) -> paging.Cursor | None:
    if not raw:
        return None
    if offset:
        raise params.ParamError("cursor", "cursor et offset ne se combinent pas : le curseur porte déjà la position")
    return paging.Cursor.decode(raw)


class Poles(Collection):
    id = "poles"
    title = "Pôles ESS de Bretagne et leurs zones de couverture"
    description = ("Les 19 pôles de développement de l'ESS et le territoire que chacun couvre "
                   "(ensemble de pays, ou zone dessinée).")
    keywords = ("ESS", "pôles ESS", "Bretagne")
    columns = (("Nom", "nom"), ("Départements", "departements"), ("Communes couvertes", "n_communes"))

    def items(self, service, session, filters, bbox, limit, offset):
        poles = session.exec(select(Pole).order_by(Pole.name)).all()
        if bbox:
            shapes = shapely.from_geojson([p.geometry for p in poles if p.geometry])
            inside = dict(zip([p.id for p in poles if p.geometry], _intersecting(shapes, bbox)))
            poles = [p for p in poles if inside.get(p.id)]
        counts = dict(session.exec(select(PoleCommune.pole_id, func.count()).group_by(PoleCommune.pole_id)).all())
        return _page(len(poles), [geojson.geometry_feature(p.id, p.geometry, geojson.pole_properties(
            p, counts.get(p.id, 0))) for p in poles[offset:offset + limit]])

    def item(self, service, session, fid):
        pole = session.get(Pole, fid)
        if pole is None:
            return None
        n_communes = session.exec(select(func.count()).select_from(PoleCommune)
                                  .where(PoleCommune.pole_id == fid)).one()
        return geojson.geometry_feature(pole.id, pole.geometry, geojson.pole_properties(pole, n_communes))


class Communes(Collection):
    id = "communes"
    title = "Communes de Bretagne"
    description = ("Les communes de Bretagne (IGN Admin Express, INSEE COG 2026) avec leur EPCI, "
                   "leur pays et leur département.")
    keywords = ("communes", "Bretagne", "Admin Express")
    queryables = {
        "code": Queryable("Code INSEE (plusieurs séparés par des virgules)"),
        "nom": Queryable("Début du nom (accents et casse ignorés)"),
        "epci": Queryable("SIREN de l'EPCI"),
        "pays": Queryable("Code du pays"),
        "departement": Queryable("Code du département"),
    }
    columns = (("Code", "code"), ("Nom", "nom"), ("Population", "population"))
    parents = ("epci", "pays", "departement")  # queryables, each named after its level

    def items(self, service, session, filters, bbox, limit, offset):
        for level in self.parents:
            if filters.get(level) and not territories.exists(service, level, filters[level]):
                raise params.ParamError(level, territories.unknown(level, filters[level]))
        entries = territories.search(service, "commune", q=filters.get("nom"),
                                     codes=params.split_values(filters.get("code")), limit=10**6).entries
        entries = [e for e in entries if all(e.parents[name] == filters[name] for name in self.parents
                                             if filters.get(name))]
        if not filters.get("nom"):
            entries.sort(key=lambda e: e.code)  # a stable order to page through
        if bbox:
            entries = self._in_box(service, entries, bbox)
        return _page(len(entries), self._features(session, entries[offset:offset + limit]))

    def item(self, service, session, fid):
        entry = territories.get(service, "commune", fid)
        return self._features(session, [entry])[0] if entry else None

    @staticmethod
    def _in_box(service, entries, bbox: Box):
        west, south, east, north = bbox
        near = [e for e in entries if e.bbox[0] <= east and e.bbox[2] >= west
                and e.bbox[1] <= north and e.bbox[3] >= south]
        shapes = dict(zip(service.locator.codes, service.locator.geometries))
        return [e for e, hit in zip(near, _intersecting([shapes[e.code] for e in near], bbox)) if hit]

    @staticmethod
    def _features(session, entries) -> list[dict]:
        shapes = territories.geometries(session, "commune", [e.code for e in entries])
        return [{"type": "Feature", "id": e.code, "geometry": shapes[e.code],
                 "properties": {k: v for k, v in e.as_dict().items() if k not in ("centre", "bbox")}}
                for e in entries]


COLLECTIONS: dict[str, Collection] = {c.id: c for c in (Sites(), Poles(), Communes())}
