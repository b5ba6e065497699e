"""The one builder of a site's public JSON: written with the site, put together by every output.

Building a page of 500 features from rows cost more than everything else of a request: 31 columns
converted, a dictionary per feature, then encoded. So, as GoGoCarto keeps a serialised copy of each
element, every write of a site (``carto.directory.sites``, ``carto.directory.bulk``) also stores, from the same values:

- ``activity_slugs``: its activities, sorted, comma-separated (``"reemploi,velo"``);
- ``marker_json``: the middle of its map marker, ``lon,lat,"name"`` (5 decimals, about a metre);
- ``feature_json``: its GeoJSON feature from the geometry to the last public field read from a
  column (``carto.directory.public_fields.STORED``, French names),
  ``"geometry":{…},"properties":{"nom":…,"demo":false`` — the properties object left open.

``Pieces`` adds the rest as it reads them: the id (unknown before a bulk insert) and the activities
with their domains, which come from the taxonomy (a deploy may change it without any site being
written; ``Pieces`` keeps each combination of activities it has seen). It works in UTF-8 bytes: the
page columns (``MARKER_COLUMNS``, ``FEATURE_COLUMNS``) are read as the bytes the response sends, so a
page of 500 features (~550 KB) is never decoded then encoded again (~0.3 ms of CPU). Every output of
a site's feature or marker goes through ``Pieces``: pages of the API and OGC from these columns alone, the
supplier search, the moderation queues and the maps of pages from the ``Site`` they read
(``site_feature``, ``site_marker``). ``carto db check`` recomputes the stored text of every site.
"""
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from operator import attrgetter, itemgetter

import pydantic_core
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Text, TypeDecorator
from sqlmodel import Session, select

from carto.directory import public_fields
from carto.directory.public_fields import FEATURE_ACTIVITIES, FEATURE_DOMAINS
from carto.storage.models import Site, SiteActivity, SiteStatus
from carto.core.taxonomy import Taxonomy

COLUMNS = ("activity_slugs", "marker_json", "feature_json")


class Utf8(TypeDecorator):
    """A text column read as its UTF-8 bytes. SQLite reads it as a blob (``CAST``: the same bytes);
    PostgreSQL's driver hands them over as such when a page's statement asks for binary rows
    (``carto.query.search``), and text decoded by it (any other statement) is encoded back here."""
    impl = Text
    cache_ok = True

    def column_expression(self, column):
        return _AsBytes(column)

    def result_processor(self, dialect, coltype):
        if dialect.name == "sqlite":
            return None  # bytes already: a call per value cost more than the page's encoding
        return lambda value: value.encode() if isinstance(value, str) else value


class _AsBytes(FunctionElement):
    """A text column as ``Utf8`` reads it: on SQLite a blob of its bytes, elsewhere the text itself."""
    inherit_cache = True
    type = Utf8()  # the rows' values go through its result processor


@compiles(_AsBytes)
def _as_text(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_AsBytes, "sqlite")
def _as_blob(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


def _as_utf8(column):
    return sa.type_coerce(column, Utf8).label(column.key)


# What pages read, their text as UTF-8 bytes (``Utf8``): the name's sort key and the id also carry the
# cursor of the next page.
MARKER_COLUMNS = (Site.id, *map(_as_utf8, (Site.sort_name, Site.marker_json, Site.activity_slugs)))
FEATURE_COLUMNS = (Site.id, *map(_as_utf8, (Site.sort_name, Site.feature_json, Site.activity_slugs)))
PAGE_COLUMNS = (MARKER_COLUMNS, FEATURE_COLUMNS)


_READ = ("lon", "lat", *public_fields.FEATURE_READ)
_from_mapping, _from_object = itemgetter(*_READ), attrgetter(*_READ)


def stored(values, activities: list[str]) -> dict[str, str]:
    """The stored JSON columns of a site from its column values: a Site, or a row dict of ``carto.directory.bulk``
    (imports write hundreds of thousands: the values are read in one call, and only those that are
    not JSON as they are get converted)."""
    lon, lat, *public = (_from_mapping if isinstance(values, Mapping) else _from_object)(values)
    properties = public_fields.feature_properties(public)
    feature = {"geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}
    return {"activity_slugs": ",".join(sorted(activities)),
            "marker_json": pydantic_core.to_json([round(lon, 5), round(lat, 5), properties["nom"]])[1:-1].decode(),
            "feature_json": pydantic_core.to_json(feature)[1:-2].decode()}


def store(site: Site, activities: list[str]) -> None:
    for name, value in stored(site, activities).items():
        setattr(site, name, value)


def refill(conn: sa.Connection, batch: int = 5000) -> None:
    """Write the stored JSON of every site again, in batches of ids (migrations: a public field was added)."""
    site, links = Site.__table__, SiteActivity.__table__
    # Typed by the models (enums, dates); a column a later revision adds is read as empty.
    present = {c["name"] for c in sa.inspect(conn).get_columns("site")}
    read = [site.c[name] if name in present else sa.null().label(name) for name in ("id", *_READ)]
    last = 0
    while rows := conn.execute(sa.select(*read).where(site.c.id > last).order_by(site.c.id).limit(batch)).mappings().all():
        last = rows[-1]["id"]
        activities = defaultdict(list)
        for site_id, activity in conn.execute(sa.select(links.c.site_id, links.c.activity)
                                              .where(links.c.site_id.in_([r["id"] for r in rows]))):
            activities[site_id].append(activity)
        conn.execute(site.update().where(site.c.id == sa.bindparam("site_id")),
                     [stored(r, activities[r["id"]]) | {"site_id": r["id"]} for r in rows])


class Pieces:
    """Turns rows of ``MARKER_COLUMNS`` or ``FEATURE_COLUMNS`` into JSON (UTF-8 bytes), for one taxonomy."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        # A few hundred combinations of activities in practice; bounded all the same.
        self._activities = lru_cache(maxsize=20_000)(self._activities_json)
        self._properties = lru_cache(maxsize=20_000)(self._activity_properties)

    def marker(self, row) -> bytes:
        """``[id, lon, lat, name, activities]``: the map's marker."""
        return b"".join(self._marker_parts(row))

    def feature(self, row, distance_km: float | None = None) -> bytes:
        """The GeoJSON feature, ``distance_km`` (from a search's centre) as its last property."""
        return b"".join(self._feature_parts(row, distance_km))

    # A page is joined once, from the parts of its items: a string per item, or the items joined before
    # the document, each cost one more copy of the page (~550 KB for 500 features).
    def markers(self, rows) -> list[bytes]:
        """The markers of ``rows``, comma-separated, as pieces for ``document`` or ``listed``."""
        return _separated(self._marker_parts(row) for row in rows)

    def features(self, rows, distances: Mapping[int, float]) -> list[bytes]:
        """The features of ``rows``, comma-separated, with their ``distances`` by id (maybe none), as
        pieces for ``document`` or ``listed``."""
        return _separated(self._feature_parts(row, distances.get(row[0])) for row in rows)

    def _marker_parts(self, row) -> tuple[bytes, ...]:
        return b"[", b"%d" % row[0], b",", row[2], b",", self._activities(row[3]), b"]"

    def _feature_parts(self, row, distance_km: float | None) -> tuple[bytes, ...]:
        extra = b"" if distance_km is None else b',"%s":%s' % (_DISTANCE, pydantic_core.to_json(distance_km))
        return b'{"type":"Feature","id":', b"%d" % row[0], b",", row[2], b",", self._properties(row[3]), extra, b"}}"

    def site_marker(self, site: Site) -> bytes:
        """The marker of a site read whole (a ``Site`` or a record of all its columns)."""
        return self.marker(_stored_row(site, site.marker_json))

    def site_feature(self, site: Site, distance_km: float | None = None) -> bytes:
        """The feature of a site read whole (a ``Site`` or a record of all its columns)."""
        return self.feature(_stored_row(site, site.feature_json), distance_km)

    @staticmethod
    def _activities_json(slugs: bytes) -> bytes:
        return pydantic_core.to_json(slugs.decode().split(",") if slugs else [])

    def _activity_properties(self, slugs: bytes) -> bytes:
        activities = slugs.decode().split(",") if slugs else []
        known = self.taxonomy.activities
        domains = sorted({known[a].domain for a in activities if a in known})
        return b'"%s":%s,"%s":%s' % (FEATURE_ACTIVITIES.encode(), self._activities(slugs),
                                     FEATURE_DOMAINS.encode(), pydantic_core.to_json(domains))


_DISTANCE = public_fields.DISTANCE.name.encode()


def _stored_row(site: Site, stored_json: str) -> tuple:
    """A site read whole as a row of the page columns."""
    return site.id, None, stored_json.encode(), site.activity_slugs.encode()


def separated(items: Iterable[bytes]) -> list[bytes]:
    """Already encoded ``items``, comma-separated, as pieces for ``document`` or ``listed``."""
    return _separated((item,) for item in items)


def _separated(items: Iterable[tuple[bytes, ...]]) -> list[bytes]:
    pieces: list[bytes] = []
    for parts in items:
        pieces += parts
        pieces.append(b",")
    del pieces[-1:]
    return pieces


def published_feature(session: Session, pieces: Pieces, site_id: int) -> bytes | None:
    """The feature of a published site, from its stored JSON; None for any other id."""
    query = select(*FEATURE_COLUMNS).where(Site.id == site_id, Site.status == SiteStatus.published)
    row = session.connection().execute(query).first()
    return pieces.feature(row) if row else None


def document(members: dict, key: str, pieces: list[bytes]) -> bytes:
    """The JSON of ``members`` with a last member ``key``: the list whose items are ``pieces`` joined
    (``separated``, ``Pieces.markers``, ``Pieces.features``)."""
    head = pydantic_core.to_json(members)[:-1]
    return b"".join([head, b',"' if members else b'"', key.encode(), b'":[', *pieces, b"]}"])


def listed(pieces: list[bytes]) -> bytes:
    """The JSON list whose items are ``pieces`` joined (see ``document``)."""
    return b"".join([b"[", *pieces, b"]"])
