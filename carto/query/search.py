"""Read queries over sites: one filter object, used by the API, the map, the list and exports."""
import math
from dataclasses import astuple, dataclass, field, replace

from sqlalchemy import Float, Integer, and_, bindparam, func, or_, true, tuple_
from sqlmodel import Session, col, select

from carto.core.taxonomy import Taxonomy
from carto.directory import site_json
from carto.storage import freshness, search_index
from carto.storage.models import RESERVED_VERIFICATIONS, PoleCommune, Site, SiteActivity, SiteStatus, SiteWord

EARTH_RADIUS_KM = 6371.0088
Box = tuple[float, float, float, float]  # west, south, east, north
WORLD: Box = (-180.0, -90.0, 180.0, 90.0)


@dataclass
class SiteFilter:
    activities: set[str] = field(default_factory=set)  # already expanded from domains
    q: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north
    commune: str | None = None
    epci: str | None = None
    pays: str | None = None
    departement: str | None = None
    pole: str | None = None
    near: tuple[float, float] | None = None  # lon, lat
    radius_km: float | None = None
    siae: bool | None = None
    ea_esat: bool | None = None
    ess: bool | None = None  # None: ESS structures and the others
    reserved_verified: bool | None = None  # true: the reserved statuses asked for (siae, ea_esat), verified
    statuses: tuple[SiteStatus, ...] = (SiteStatus.published,)


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def radius_bbox(lon: float, lat: float, km: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


@dataclass
class Conditions:
    """SQL conditions on Site for a filter, its statuses, text and boxes apart: SQLite must sometimes be
    kept from reading statuses and boxes through their index (``search_index.bbox_clause``,
    ``name_order``), and the names holding a query's words are read without its text condition
    (``_named_first``)."""
    statuses: tuple[SiteStatus, ...]
    others: list
    boxes: list[Box]
    by_links: bool = False  # an activity filter, whose links hold the statuses and boxes too
    # An activity filter: the ids of its links, and its condition in ``others``, which lists them (for a
    # query the activity drives). ``clauses(per_site=True)`` tests each site's links through their key
    # instead, for a walk that another index drives (the names' words, the text index): the list held
    # every link of the activity, built for each query (10,069 for vélo at 100,000 sites: 9.4 ms for a
    # walk of 2,002 names, against 1.0 ms).
    links: tuple = ()  # (ids, listed)
    text: list = field(default_factory=list)  # the query's words
    # Verified reserved statuses only: read from their partial index (``models.VERIFIED_ANY``), which
    # SQLite, without statistics, may prefer to no index of the status (it costs them alike).
    verified: bool = False
    # A département: its index (``ix_site_departement``) holds its sites' keys in name order.
    departement: bool = False
    # A pôle: its sites are read through their communes' index. SQLite, without statistics, read every
    # published site through the status's index and tested its commune (75 ms for a page of a pôle's
    # 2,349 sites at 100,000 sites; 2.5 ms through the communes).
    pole: bool = False
    view: SiteFilter | None = None  # the filter of a box the sites' own positions are tested in

    def clauses(self, session: Session, *, box_index: bool = True, status_index: bool = True,
                per_site: bool = False) -> list:
        """``per_site``: the activity filter tested site by site (``links``)."""
        indexed = status_index and not self.verified and not self.pole
        status = col(Site.status) if indexed else search_index.unindexed(session, col(Site.status))[0]
        others = [self.links[0].where(col(SiteActivity.site_id) == col(Site.id)).exists()
                  if per_site and self.links and c is self.links[1] else c for c in self.others]
        return ([status.in_(self.statuses)] + self.text + others
                + [search_index.bbox_clause(session, *box, indexed=box_index) for box in self.boxes])


def conditions(session: Session, f: SiteFilter, *, skip_activities: bool = False) -> list:
    """SQL conditions on Site for a filter (the radius is refined in Python, see ``find``)."""
    return conditions_of(session, f, skip_activities=skip_activities).clauses(session)


def conditions_of(session: Session, f: SiteFilter, *, skip_activities: bool = False) -> Conditions:
    """The conditions of a filter, boxes apart. A box that holds every site of the statuses asked
    for is left out: a region-wide view then counts from the status index instead of testing each
    position."""
    where, text = [], []
    if f.q:
        clause = search_index.text_clause(session, f.q)
        if clause is not None:
            text.append(clause)
    for column, value in ((Site.commune_code, f.commune), (Site.epci_code, f.epci),
                          (Site.pays_code, f.pays), (Site.dep_code, f.departement)):
        if value:
            # Verified reserved statuses are a register's few thousand nationwide, fewer than the
            # sites of an EPCI or a département: SQLite, without statistics, is to start from them.
            hide = f.reserved_verified and column is not Site.commune_code
            where.append((search_index.unindexed(session, col(column))[0] if hide else column) == value)
    if f.pole:
        where.append(col(Site.commune_code).in_(
            select(PoleCommune.commune_code).where(PoleCommune.pole_id == f.pole)))
    asked = [kind for kind, on in (("siae", f.siae), ("ea", f.ea_esat)) if on]
    for column, value in ((Site.siae, f.siae), (Site.ea_esat, f.ea_esat), (Site.ess, f.ess)):
        # A status asked for verified is tested by ``reserved_clause`` alone (with its proof).
        if value is not None and not (value and f.reserved_verified and column is not Site.ess):
            where.append(column == value)
    if f.reserved_verified:
        # Each status asked for verified; none asked: any verified status.
        where.append(and_(*(reserved_clause([k], verified=True) for k in asked)) if asked
                     else reserved_clause(RESERVED_COLUMNS, verified=True))
    boxes = [b for b in (f.bbox, _near_box(f)) if b]
    if boxes:
        every_site = extent(session, f.statuses)
        boxes = [box for box in boxes if every_site is None or not _contains(box, every_site)]
    if f.activities and not skip_activities:
        # The links of the activities hold the boxes: the sites' own positions need not be tested.
        links = _activity_links(f, boxes)
        listed = col(Site.id).in_(links)
        return Conditions(f.statuses, where + [listed], [], by_links=True, links=(links, listed), text=text,
                          verified=bool(f.reserved_verified), departement=bool(f.departement), pole=bool(f.pole))
    return Conditions(f.statuses, where, boxes, text=text, verified=bool(f.reserved_verified),
                      departement=bool(f.departement), pole=bool(f.pole), view=f if f.bbox and boxes else None)


# A reserved-contract status (the public name of its filter) → its flag and its proof of verification.
RESERVED_COLUMNS = {"siae": (Site.siae, Site.siae_verification), "ea": (Site.ea_esat, Site.ea_esat_verification)}


def reserved_clause(kinds, *, verified: bool):
    """Sites with any of the reserved statuses ``kinds`` (siae, ea); with ``verified``, a status
    counts only when verified (``carto.directory.reserved_status``): a declared one never does.

    Verified, the condition of the index of the verified few is repeated (``models.VERIFIED_ANY``)
    so that both planners see it applies, and the flag is tested as ``IS NOT false``, which no
    index serves: SQLite would otherwise read a fifth of the sites through the flag's index."""
    if not verified:
        # The bare flag, as the partial index of the sites holding it is defined (``models.flag_index``):
        # ``siae IS true`` would mean the same, but no planner proves that it implies the index applies.
        return or_(*(col(RESERVED_COLUMNS[k][0]) for k in sorted(kinds)))
    verified_any = or_(*(col(getattr(Site, column)).is_not(None) for column in RESERVED_VERIFICATIONS.values()))
    return and_(verified_any, or_(*(and_(col(RESERVED_COLUMNS[k][0]).is_not(False),
                                               col(RESERVED_COLUMNS[k][1]).is_not(None)) for k in sorted(kinds))))


def _activity_links(f: SiteFilter, boxes: list[Box]):
    """The ids of the sites with one of ``f.activities`` of the statuses asked for, within ``boxes``:
    read from the index of activities alone (``SiteActivity`` holds each site's status and position)."""
    links = select(SiteActivity.site_id).where(col(SiteActivity.activity).in_(f.activities),
                                               col(SiteActivity.status).in_(f.statuses))
    for west, south, east, north in boxes:
        links = links.where(col(SiteActivity.lon).between(west, east), col(SiteActivity.lat).between(south, north))
    return links


def extent(session: Session, statuses: tuple[SiteStatus, ...] = (SiteStatus.published,)) -> Box | None:
    """West, south, east, north of the sites of these statuses; None without any. Kept for the data
    version: the latitudes have no index of their own (see ``Site``), so they are read in full."""
    return freshness.per_version(session, ("extent", statuses), lambda: _extent(session, statuses))


def _extent(session: Session, statuses: tuple[SiteStatus, ...]) -> Box | None:
    boxes = []
    for status in statuses:
        row = session.exec(select(*(select(bound(column)).where(Site.status == status).scalar_subquery()
                                    for bound, column in ((func.min, Site.lon), (func.min, Site.lat),
                                                          (func.max, Site.lon), (func.max, Site.lat))))).one()
        if row[0] is not None:
            boxes.append(tuple(row))
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _contains(outer: Box, inner: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def _near_box(f: SiteFilter):
    if f.near and f.radius_km:
        return radius_bbox(*f.near, f.radius_km)
    return None


@dataclass
class Page:
    total: int  # with ``total_exact`` false, a lower bound: more than ``COUNT_LIMIT`` sites match
    sites: list[Site]
    distances: dict[int, float] = field(default_factory=dict)  # km from ``near``
    total_exact: bool = True


# A page's count stops there: counting every match of a frequent word or of a region at 1,000,000
# sites would cost a second for a number nobody reads to the unit (« plus de 1 000 »); even counting
# 10,000 matches of a frequent word read 50,000 sites' texts (0.5 s at 1,000,000 sites).
COUNT_LIMIT = 1_000


def find(session: Session, f: SiteFilter, limit: int = 100, offset: int = 0, order: str = "name",
         columns: tuple | None = None) -> Page:
    """Sites matching ``f``; with ``near``, sorted by distance (and cut at ``radius_km``).

    With ``columns``, the page holds rows of those columns (attributes of the same names as a Site's)
    instead of Site objects: several times faster for hundreds of sites.
    """
    matching = conditions_of(session, f)
    where = matching.clauses(session)
    if f.near:
        return _find_near(session, f, where, limit, offset, columns)
    total = count(session, f, matching)
    read = ((lambda query, values=None: rows(session, query, values)) if columns
            else (lambda query, values=None: list(session.exec(query, params=values))))
    if order == "updated":
        order_by = (col(Site.updated_at).desc(), col(Site.id))
        return counted_page(total, read(select(*(columns or (Site,))).where(*where).order_by(*order_by)
                                               .offset(offset).limit(limit)))
    # PostgreSQL plans by itself: a walk of the name index that reads each site's row (whole sites,
    # another condition) would be planned as a scan of the table.
    known = total[0] if search_index.box_index_hides(session) else None
    ranked = in_order(session, matching, f.q, known, limit, read, columns or (Site,), offset=offset)
    return counted_page(total, [row for _, row in ranked])


def in_order(session: Session, matching: Conditions, q: str | None, total: int | None, limit: int, read,
             columns: tuple, *, offset: int = 0, after: tuple[int, str, int] | None = None) -> list[tuple[int, object]]:
    """Up to ``limit`` matching rows of ``columns`` in relevance order, as (tier, row): with a query,
    sites whose name holds its words first, then those whose activities do, then the others
    (``search_index.relevance_tiers``); each tier in name order. Starts ``offset`` rows in, or just
    after ``after`` (tier, name, id), the last row of a previous page. ``read`` runs a query.

    The first tier is read from the names' words (``_named_first``), the others by one query each,
    through the name order or the text index, as the statistics say: a page never ranks every match
    of a frequent word.
    """
    tiers = search_index.relevance_tiers(session, q) if q else [[]]
    if q and not search_index.box_index_hides(session):
        total = None  # a walk would read each site's text vector in the table: PostgreSQL weighs it
    out: list[tuple[int, object]] = []
    first = after[0] if after else 0
    for number in range(first, len(tiers)):
        wanted = limit - len(out)
        if wanted <= 0:
            break
        tier = replace(matching, others=matching.others + tiers[number])
        start = after[1:] if after and number == first else None
        if number == 0 and len(tiers) > 1:
            ahead = _named_first(session, matching, tier, q, total, offset + wanted, start, read, columns)
            found = ahead[offset:]
            offset = 0 if found else offset - len(ahead)
        else:
            found = _in_name_order(session, tier, total, wanted, start, read, columns, offset=offset)
            if not found and offset:  # the whole tier comes before the page
                offset -= _count(session, tier.clauses(session))
            elif found:
                offset = 0
        out += [(number, row) for row in found]
    return out


def _in_name_order(session: Session, tier: Conditions, total: int | None, rows: int, start: tuple | None,
                   read, columns: tuple, *, offset: int = 0) -> list:
    """``rows`` sites of ``tier`` in name order, ``offset`` rows in after the key ``start`` (sort key, id)."""
    plan = name_order(session, tier, total, offset + rows)
    values = {"page_offset": offset, "page_rows": rows} | _box_values(tier.boxes)
    if start:
        values |= {"after_name": start[0], "after_id": start[1]}
    if tier.others or tier.text:  # conditions holding their own values: built for this request
        return read(_name_order_statement(session, tier, plan, columns, bool(start)), values)
    shape = (search_index.box_index_hides(session), columns, tier.statuses, tier.verified, len(tier.boxes), plan,
             bool(start))
    built = _shapes.get(shape)
    if built is None:
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        statement = _name_order_statement(session, tier, plan, columns, bool(start))
        built = _shapes[shape] = _Shape(statement, _for_driver(session, statement, columns, values))
    if built.driver is not None:
        return built.driver.rows(session, values)
    return read(built.statement, values)


# The statements of a page in name order whose conditions are statuses and boxes only (every map and
# OGC page of a view), built once per shape and run with each request's values: building one anew
# (its SQL expressions, then SQLAlchemy's cache key to find its compiled form) cost ~0.5 ms of CPU,
# a tenth of a town page's in the server. A few dozen shapes at most; bounded all the same.
@dataclass(frozen=True)
class _Shape:
    statement: object
    driver: "_DriverStatement | None"  # PostgreSQL, a page's columns: the same SQL run by psycopg alone


_shapes: dict[tuple, _Shape] = {}
MAX_SHAPES = 256


@dataclass(frozen=True)
class _DriverStatement:
    """A shape's statement as SQLAlchemy compiled it for psycopg, run by psycopg alone with binary rows,
    their text as bytes: a page's columns (``site_json.MARKER_COLUMNS``, ``FEATURE_COLUMNS``) are read as
    UTF-8 bytes anyway (``site_json.Utf8``). At 1,000,000 sites, for a town's ~450 features, SQLAlchemy's
    execution and rows cost ~0.3 ms of CPU more than psycopg's, and text rows decoded ~0.1 ms more."""
    sql: str
    fixed: dict  # the values the statement holds itself (its statuses), with the names it gave them

    def rows(self, session: Session, values: dict) -> list:
        from psycopg.rows import namedtuple_row  # PostgreSQL's driver: installed with the server mode only
        from psycopg.types.string import ByteaBinaryLoader
        conn = session.connection()
        parameters = self.fixed | values
        with conn.connection.driver_connection.cursor(row_factory=namedtuple_row) as cursor:
            cursor.adapters.register_loader("text", ByteaBinaryLoader)  # a binary text column: its bytes
            # SQLAlchemy's listeners (an audit, the tests' plans) see the statement all the same.
            for listener in conn.dispatch.before_cursor_execute:
                listener(conn, cursor, self.sql, parameters, None, False)
            return cursor.execute(self.sql, parameters, binary=True).fetchall()


def _for_driver(session: Session, statement, columns: tuple, values: dict) -> _DriverStatement | None:
    """``statement`` (of ``columns``, run first with ``values``) for psycopg alone: a page's columns on
    PostgreSQL. SQLite (blobs, see ``site_json.Utf8``) and other columns stay with SQLAlchemy."""
    if not any(columns is page for page in site_json.PAGE_COLUMNS) or session.get_bind().dialect.driver != "psycopg":
        return None
    compiled = statement.compile(dialect=session.get_bind().dialect)
    # The statuses' list is expanded in the SQL (the same for every request of the shape), and their
    # values converted as SQLAlchemy sends them; the request's values fill the other parameters.
    expanded = compiled.construct_expanded_state(values)
    convert = expanded.processors
    fixed = {k: convert[k](v) if k in convert else v for k, v in expanded.parameters.items() if k not in values}
    return _DriverStatement(expanded.statement, fixed)


_SIDES = ("west", "south", "east", "north")


def _box_values(boxes: list[Box]) -> dict[str, float]:
    return {f"box{number}_{side}": value for number, box in enumerate(boxes) for side, value in zip(_SIDES, box)}


def _name_order_statement(session: Session, tier: Conditions, plan: tuple[bool, bool, bool], columns: tuple,
                          after: bool):
    """The statement of ``_in_name_order`` for ``plan`` (``name_order``), its values left as parameters:
    the boxes' sides (``_box_values``), the key read after, the offset and the number of rows."""
    box_index, status_index, sorted_here = plan
    boxes = [tuple(bindparam(f"box{number}_{side}", type_=Float) for side in _SIDES) for number in range(len(tier.boxes))]
    where = replace(tier, boxes=boxes).clauses(session, box_index=box_index, status_index=status_index)
    by_name = (col(Site.sort_name), col(Site.id))
    query = select(*columns).where(*where)
    if after:
        query = query.where(tuple_(*by_name) > tuple_(bindparam("after_name", type_=Site.__table__.c.sort_name.type),
                                                       bindparam("after_id", type_=Integer)))
    order_by = search_index.unindexed(session, *by_name) if sorted_here else by_name
    return (query.order_by(*order_by).offset(bindparam("page_offset", type_=Integer))
            .limit(bindparam("page_rows", type_=Integer)))


# The names holding a query's longest word are read in name order from ``SiteWord``, up to this many
# entries per row wanted, the filters tested on the way; when the filters keep fewer, the rest of the
# tier is read by ``_in_name_order`` (the text index and the filters' indexes then find few sites).
WORD_WALK = 20
# A word being typed with more forms than this in the names (« ma »: maison, marché…) reads the tier
# as the other tiers are read.
MAX_WORD_FORMS = 12
# Names holding a word no more often than this are read at once and sorted (each form's walk costs
# two queries: 24 for the twelve forms of « 9999 », 25 ms of CPU at 100,000 sites on SQLite).
FEW_NAMES = 1_000


def _named_first(session: Session, matching: Conditions, tier: Conditions, q: str, total: int | None, rows: int,
                 start: tuple | None, read, columns: tuple, *, rest: bool = True) -> list:
    """The first ``rows`` sites of ``tier`` (after the key ``start``), those whose name holds every word
    of ``q``, in name order (``rest=False``: only those a short walk finds, maybe fewer).

    Sorting every name holding a frequent word is not bounded, nor is walking every name before the
    first one holding it (« Ressourcerie … » files under R): the names holding the longest stem are
    read form by form (« ressourc », « ressourcerie ») in name order from ``SiteWord`` and merged,
    the other words and the filters tested on the way: about ``rows × forms`` entries read. A word
    held by few names (« 9999 »: « 99990 », « 99991 »…) has them read at once and sorted.
    """
    stems = search_index.query_stems(q)
    driver = max(stems, key=len)
    forms = _word_forms(session, driver)
    if forms is None:
        return _in_name_order(session, tier, total, rows, start, read, columns) if rest else []
    forms = search_index.covering_forms(forms)
    rest_of_name = search_index.stems_clause(session, [s for s in stems if s != driver], search_index.PARTS[:1])
    named_too = replace(matching, text=[rest_of_name] if rest_of_name is not None else [])
    after = tuple_(col(SiteWord.sort_name), col(SiteWord.site_id)) > tuple_(*start) if start else true()
    if per_session(session, ("few names", tuple(forms)),
                   lambda: search_index.name_entries_at_most(session, forms, FEW_NAMES)):
        named = select(SiteWord.site_id).where(col(SiteWord.word).in_(forms), after)
        # SQLite is to start from these few names, not walk the status's or the name's index to find them.
        return read(select(*columns).where(col(Site.id).in_(named),
                                           *named_too.clauses(session, status_index=False, per_site=True))
                    .order_by(*search_index.unindexed(session, col(Site.sort_name), col(Site.id))).limit(rows))
    where = named_too.clauses(session, per_site=True)
    found: set[tuple[str, int]] = set()
    known_to: tuple | None = None  # every row of the tier up to this key is found (None: every row)
    # Most names pass the filters: a short walk first (the only one without ``rest``: a count). In a
    # département the rest is read from its keys (1 ms at 1,000,000 sites), in a small view from its box
    # (7.6 ms for the 1,650 sites of Rennes, PostgreSQL) rather than by a longer walk (10–26 ms for 2,020
    # names of « ressourcerie », 7 of them in Rennes).
    few = rest and (matching.departement or _small_view(session, matching))
    walks = (rows * 2,) if few else (rows * 2, rows * WORD_WALK)
    for form in forms:
        entries = select(SiteWord.sort_name, SiteWord.site_id).where(SiteWord.word == form, after)
        entries = entries.order_by(SiteWord.sort_name, SiteWord.site_id)
        for walk in walks[:None if rest else 1]:
            walked = entries.limit(walk).subquery()
            # Keys only: SQLite tests the status in its index and an activity in its links, without
            # reading the row of each name walked (2,020 rows for a page of « atelier » in vélo).
            kept = [tuple(key) for key in session.execute(
                select(walked.c.sort_name, walked.c.site_id).join(Site, col(Site.id) == walked.c.site_id)
                .where(*where).order_by(walked.c.sort_name, walked.c.site_id).limit(rows))]
            if len(kept) == rows:
                if not rest:  # a count: this form's names alone are enough
                    return kept
                end = kept[-1]
                break
            last = session.execute(entries.offset(walk - 1).limit(1)).first()
            end = tuple(last) if last else None  # known up to the last entry walked, or to the form's end
            if end is None:
                break
        found.update(kept)
        if end is not None and (known_to is None or end < known_to):
            known_to = end
    ranked = [key for key in sorted(found) if known_to is None or key <= known_to][:rows]
    if not rest:
        return ranked
    ids = [site_id for _, site_id in ranked]
    if len(ranked) < rows and known_to is not None:
        ids += _named_beyond(session, where, forms, known_to, rows - len(ranked))
    by_name = (col(Site.sort_name), col(Site.id))
    return read(select(*columns).where(col(Site.id).in_(ids)).order_by(*search_index.unindexed(session, *by_name)))


def _named_beyond(session: Session, where: list, forms: list[str], known_to: tuple, rows: int) -> list[int]:
    """The ids of the first ``rows`` sites matching ``where`` whose name holds one of ``forms``, after the
    key ``known_to``: when the filters kept few of the names walked, the rest holds the same words (the
    text index is slow to list a frequent word: 0.4 s for 200,000 sites), the filters' own indexes
    narrow it. The key on both sides: SQLite then walks the name index from there, not from its first
    name. A département's keys and the words' are merged in name order from their indexes alone (1 ms
    for « ressourcerie » in Ille-et-Vilaine at 1,000,000 sites, where reading each site's row of the
    département beyond the walk took 60 ms)."""
    beyond = [tuple_(col(key.sort_name), col(key.id if key is Site else key.site_id)) > tuple_(*known_to)
              for key in (Site, SiteWord)]
    named = select(SiteWord.sort_name, SiteWord.site_id).where(col(SiteWord.word).in_(forms), beyond[1])
    by_name = (col(Site.sort_name), col(Site.id))
    keys = select(Site.id).where(*where, beyond[0], tuple_(*by_name).in_(named)).order_by(*by_name).limit(rows)
    return list(session.execute(keys).scalars())


def rows(session: Session, query, values: dict | None = None) -> list:
    """Plain rows of a query of columns (with the ``values`` of its named parameters), without the
    ORM's per-row work (a fifth faster)."""
    return session.connection().execute(query, values).all()


def count(session: Session, f: SiteFilter, matching: Conditions) -> tuple[int, bool]:
    """The number of sites matching ``matching``, the conditions of ``f``, and whether it is exact.

    A view (a box, maybe activities) is counted exactly from the grid cells (``carto.query.cells``).
    Other filters are counted up to ``COUNT_LIMIT``: beyond, ``COUNT_LIMIT`` is a lower bound.
    With nothing but a status to match (no filter, or a box holding every site), the exact count of
    the current data version is reused: at 100,000 sites it costs 4 ms on SQLite, 50 ms at 1,000,000
    on PostgreSQL, for a number that only a write changes (and a write changes the version).
    """
    # A list page asks twice (its page, then its counts per activity, which leave out no activity).
    return per_session(session, ("count", _key(f)), lambda: _count_of(session, f, matching))


def _key(f: SiteFilter) -> tuple:
    """``f`` as a key of ``per_session``."""
    return tuple(frozenset(value) if isinstance(value, set) else value for value in astuple(f))


def _count_of(session: Session, f: SiteFilter, matching: Conditions) -> tuple[int, bool]:
    from carto.query import cells  # it reads conditions from this module
    where = matching.clauses(session)
    if len(where) <= 1:
        return freshness.per_version(session, ("count", f.statuses), lambda: _count(session, where)), True
    if f.bbox and cells.usable(f):
        return cells.view_total(session, f), True
    if f.q and _small_view(session, matching):  # its few sites counted at once, no walk of names first
        where = replace(matching, text=[search_index.text_clause(session, f.q, indexed=False)]).clauses(session)
    elif f.q and (_activities_exceed(session, f, COUNT_LIMIT) or _names_exceed(session, matching, f.q, COUNT_LIMIT)):
        return COUNT_LIMIT, False
    elif f.q:  # the text index drives: an activity is tested site by site
        where = matching.clauses(session, per_site=True)
    found = _count(session, where, COUNT_LIMIT + 1)
    return min(found, COUNT_LIMIT), found <= COUNT_LIMIT


# A view holding at most this many sites counts the matches of a query from its box, each site's
# text tested: PostgreSQL ANDs the box with the text index, which lists every site holding a
# frequent word first (« ressourc »: 199,289 sites at 1,000,000, 0.1 s, for 1,650 in a town).
SMALL_VIEW = 5_000


def _small_view(session: Session, matching: Conditions) -> bool:
    """Whether ``matching``'s box (PostgreSQL, no activity: their links hold the box) is a small view;
    estimated once per request (its total and its page both ask)."""
    from carto.query import cells
    view = matching.view
    return (view is not None and not search_index.box_index_hides(session)
            and per_session(session, ("view estimate", _key(view)), lambda: cells.estimate(session, view)) <= SMALL_VIEW)


def _activities_exceed(session: Session, f: SiteFilter, limit: int) -> bool:
    """Whether more than ``limit`` sites match ``f`` through an activity whose own words hold those of
    its query: every site of such an activity holds them in its search text (« atelier » in vélo,
    « Atelier et réemploi de vélos »), so those sites are counted from the activity's links alone (0.1 ms
    at 100,000 sites, where testing each one's text took 15 ms)."""
    holding = search_index.activities_holding(f.q, f.activities) if f.activities else set()
    if not holding:
        return False
    proof = conditions_of(session, replace(f, q=None, activities=holding))
    if proof.others == [proof.links[1]]:  # nothing else to test: the links alone, each site once
        matches = proof.links[0].distinct().limit(limit + 1).subquery()
        return session.connection().execute(select(func.count()).select_from(matches)).scalar_one() > limit
    return _count(session, proof.clauses(session), limit + 1) > limit


def _names_exceed(session: Session, matching: Conditions, q: str, limit: int) -> bool:
    """Whether more than ``limit`` sites matching ``matching`` hold the words of ``q`` in their name, as
    the name words say within a short walk, or counted in a département (whose index holds its keys):
    a word frequent in names is then counted without the text index (which lists 200,000 sites
    holding « ressourc » in 0.4 s) nor a test of each site's text."""
    if not search_index.query_stems(q):
        return False
    # SQLite looks each name's site up by its rowid (20 ms for « ressourcerie » in a département at
    # 100,000 sites): counting the territory's matches of the text index costs it less (8 ms).
    if matching.departement and not search_index.box_index_hides(session):
        counted = _names_counted(session, matching, q, limit + 1)
        if counted is not None:
            return counted > limit
    # Without ``rest`` the tier's own conditions are not read (only the names' words and ``matching``).
    named = _named_first(session, matching, matching, q, None, limit + 1, None,
                         lambda query, values=None: rows(session, query, values),
                         (Site.id, Site.sort_name), rest=False)
    return len(named) > limit


def _names_counted(session: Session, matching: Conditions, q: str, limit: int) -> int | None:
    """The sites matching ``matching`` whose name holds the words of ``q``, counted up to ``limit`` from
    the name words joined to the filters' keys (a département: its index, ``ix_site_departement``;
    31 ms for 1,001 of « ressourcerie » in Ille-et-Vilaine at 1,000,000 sites, where the text index
    listed the 199,289 sites holding the word: 0.4 s). None when the longest word has several forms
    in the names (a name may hold two: it would be counted twice)."""
    stems = search_index.query_stems(q)
    driver = max(stems, key=len)
    forms = _word_forms(session, driver)
    forms = search_index.covering_forms(forms) if forms else []
    if len(forms) != 1:
        return None
    rest_of_name = search_index.stems_clause(session, [s for s in stems if s != driver], search_index.PARTS[:1])
    named_too = replace(matching, text=[rest_of_name] if rest_of_name is not None else [])
    names = (select(SiteWord.site_id).join(Site, col(Site.id) == SiteWord.site_id)
             .where(SiteWord.word == forms[0], *named_too.clauses(session)).limit(limit))
    return session.connection().execute(select(func.count()).select_from(names.subquery())).scalar_one()


def counted_page(total: tuple[int, bool], sites: list, distances: dict | None = None) -> Page:
    """A page of ``sites`` with a ``count``."""
    return Page(total[0], sites, distances or {}, total[1])


def _count(session: Session, where: list, limit: int | None = None) -> int:
    """Sites matching ``where``, counted up to ``limit`` (the database stops reading there)."""
    matches = select(Site.id).where(*where)
    if limit is not None:
        matches = matches.limit(limit)
    # Through the connection, as ``rows``: a page counts every time.
    return session.connection().execute(select(func.count()).select_from(matches.subquery())).scalar_one()


def per_session(session: Session, question: tuple, compute):
    """The answer to a question asked again in one session (a request: a page's total and its counts
    per activity walk the same names) at the same data version."""
    key = (question, freshness.data_version(session))
    if key not in session.info:
        session.info[key] = compute()
    return session.info[key]


def _word_forms(session: Session, prefix: str) -> list[str] | None:
    """``search_index.name_word_forms`` of a query's longest word, asked by its total and its page."""
    return per_session(session, ("word forms", prefix),
                       lambda: search_index.name_word_forms(session, prefix, MAX_WORD_FORMS))


# Walking the name index in order and testing each site's position on the way costs about a twelfth
# of fetching a matching site to sort it (SQLite, 100,000 sites: 0.3 ms against 60 ms for the first
# 500 names of a region-wide box; 0.7 ms against 8 ms in a city).
NAME_WALK_ADVANTAGE = 12


def walk_is_cheaper(session: Session, total: float, rows: int, among: int | None = None) -> bool:
    """Whether the first ``rows`` of ``total`` matching sites in name order are read faster by walking
    a name index (about ``rows × sites / total`` entries) than by sorting the ``total`` sites. ``among``:
    the sites of the index walked (a département's, ``ix_site_departement``); else every site."""
    # An upper bound of the number of sites, read from the end of the key.
    sites = among if among is not None else freshness.per_version(
        session, ("max id",), lambda: session.exec(select(func.max(Site.id))).one() or 0)
    return total > rows and rows * sites < total * total * NAME_WALK_ADVANTAGE


def name_order(session: Session, matching: Conditions, total: float | None, rows: int) -> tuple[bool, bool, bool]:
    """How to read the first ``rows`` of ``total`` (or about ``total``) matching sites in name order,
    steering the planner, which cannot weigh a box (see ``search_index.bbox_clause``): whether the box
    and the status are read through their indexes, and whether the matches are sorted rather than
    read in the name index's order (``Conditions.clauses``' arguments, then ``search_index.unindexed``
    on the order). SQLite always knows ``total``; without it (None), PostgreSQL plans by itself.

    Walking the name index reads about ``rows × sites / total`` entries; sorting reads ``total``
    sites. When the walk is cheaper the box is hidden from the planner, else (SQLite) the name order is.
    """
    if total is None:
        return True, True, False
    if walk_is_cheaper(session, total, rows):
        return False, True, False
    if not search_index.box_index_hides(session):
        return True, True, False  # PostgreSQL sorts the few matches by itself
    # Sorting: SQLite is to start from the links of an activity filter, not walk the status index.
    return True, not matching.by_links, True


def _find_near(session, f, where, limit, offset, columns=None) -> Page:
    positions = rows(session, select(Site.id, Site.lon, Site.lat).where(*where))
    lon, lat = f.near
    dist = {r.id: distance_km(lon, lat, r.lon, r.lat) for r in positions}
    if f.radius_km:
        dist = {k: d for k, d in dist.items() if d <= f.radius_km}
    ordered = sorted(dist, key=lambda k: (dist[k], k))
    ids = ordered[offset:offset + limit]
    query = select(*(columns or (Site,))).where(col(Site.id).in_(ids))
    by_id = {s.id: s for s in (rows(session, query) if columns else session.exec(query))}
    return Page(len(ordered), [by_id[i] for i in ids], {i: round(dist[i], 3) for i in ids})


def activity_counts(session: Session, f: SiteFilter) -> dict[str, int] | None:
    """Number of matching sites per activity, ignoring the activity filter itself (facets): from the
    grid cells when they answer for the filter (``carto.query.cells``), else site by site.

    None for a text query matching more than ``COUNT_LIMIT`` sites: its counts would read every
    match (1 s for « atelier » at 1,000,000 sites on PostgreSQL), for a search whose own total says
    only « plus de 1 000 »."""
    from carto.query import cells  # it reads conditions from this module
    if cells.usable(f):
        return cells.view_per_activity(session, f, f.bbox or WORLD)
    facets = conditions_of(session, f, skip_activities=True)
    if f.q and not count(session, replace(f, activities=set()), facets)[1]:
        return None
    where = facets.clauses(session)
    query = (select(SiteActivity.activity, func.count()).join(Site, Site.id == SiteActivity.site_id)
             .where(*where).group_by(SiteActivity.activity))
    if f.near and f.radius_km:
        ids = set(_find_near(session, f, where, 10**9, 0).distances)
        query = query.where(col(Site.id).in_(ids))
    return dict(session.exec(query).all())


def empty_domains(session: Session, taxonomy: Taxonomy) -> frozenset[str]:
    """Slugs of the domains without any published site: the filters say « bientôt » instead of
    ticking them with zero counts. One indexed existence test per domain (activity, status first),
    made once per data version and taxonomy: every page with the filter form shows them."""
    domains = tuple((d.slug, tuple(a.slug for a in d.activities)) for d in taxonomy.domains)

    def has_sites(slugs: tuple[str, ...]) -> bool:
        query = (select(SiteActivity.site_id).where(col(SiteActivity.activity).in_(slugs),
                                                    SiteActivity.status == SiteStatus.published).limit(1))
        return session.exec(query).first() is not None
    return freshness.per_version(session, ("empty domains", domains),
                       lambda: frozenset(slug for slug, slugs in domains if not has_sites(slugs)))


def activities_by_site(session: Session, site_ids: list[int]) -> dict[int, list[str]]:
    """Activity slugs of each site, sorted (read as plain rows: several times faster than objects)."""
    out: dict[int, list[str]] = {i: [] for i in site_ids}
    query = (select(SiteActivity.site_id, SiteActivity.activity).where(col(SiteActivity.site_id).in_(site_ids))
             .order_by(SiteActivity.site_id, SiteActivity.activity))
    for site_id, activity in session.exec(query):
        out[site_id].append(activity)
    return out
