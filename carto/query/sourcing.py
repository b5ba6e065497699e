"""Supplier search for public buyers (sourcing): ESS suppliers of some activities in a territory.

A buyer names a territory (commune, EPCI, pays, département or pôle ESS) and/or a radius around
a commune or a point, picks activities, and narrows the list to what a public contract needs:
legal form, structures able to answer reserved contracts (SIAE: article L2113-13 of the code de
la commande publique; entreprises adaptées and ESAT: article L2113-12), the public served and
networks or labels. The same ``Criteria`` drive the search page, its API and every export, so an
export always holds exactly the rows the buyer saw.
"""
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import case, exists, func, null, or_
from sqlmodel import Session, col, select

from carto.query import cells, params, search, territories
from carto.query.params import ParamError
from carto.directory import site_json
from carto.directory.service import Service
from carto.storage.models import LEGAL_FORM_LABELS, Commune, LabelTally, LegalForm, Pole, Site, SiteActivity, Territory
from carto.query.search import EARTH_RADIUS_KM, SiteFilter
from carto.territory.territory_names import WORDS
from carto.storage import search_index
from carto.storage.db import french_order, is_sqlite
from carto.core.taxonomy import Taxonomy
from carto.core.textnorm import fold, words

LEVEL_LABELS = {level: WORDS[level].singular for level in ("commune", "epci", "pays", "departement", "pole")}
RESERVED = {"siae": "Structure d'insertion (SIAE) — marchés réservés, art. L2113-13",
            "ea": "Entreprise adaptée ou ESAT — marchés réservés, art. L2113-12"}
VERIFIED_ONLY = "statuts vérifiés seulement (sur pièce ou d'après un registre faisant foi)"
PUBLICS = {"particuliers": "Particuliers", "professionnels": "Professionnels"}
SORTS = {"nom": "nom", "commune": "commune", "distance": "distance", "forme": "forme juridique",
         "verifie": "date de vérification"}
MAX_CHOICES = 10


@dataclass(frozen=True)
class Place:
    """A territory a buyer can search in."""
    level: str  # commune | epci | pays | departement | pole
    code: str
    name: str
    dep: str = ""  # communes only: tells apart the two Plouhinec

    @property
    def key(self) -> str:
        return f"{self.level}:{self.code}"

    @property
    def label(self) -> str:
        detail = LEVEL_LABELS[self.level] + (f", {self.dep}" if self.dep else "")
        return f"{self.name} ({detail})"


def _poles_matching(session: Session, text: str) -> list[Place]:
    """Pôles whose name has a word starting with each word typed (« reso » → RÉSO solidaire)."""
    typed = words(text)
    found = [Place("pole", pid, name) for pid, name in session.exec(select(Pole.id, Pole.name))
             if typed and all(any(w.startswith(t) for w in words(name)) for t in typed)]
    return sorted(found, key=lambda p: fold(p.name))


def find_places(service: Service, session: Session, text: str,
                levels: tuple[str, ...] = tuple(LEVEL_LABELS)) -> list[Place]:
    """Places named (or coded) ``text``, accents and case ignored: exact names only when there are.

    A label as the page shows it, « Plouhinec (commune, 29) », names exactly one place.
    """
    name = text.partition(" (")[0]
    found = []
    for level in levels:
        if level == "pole":
            found += _poles_matching(session, name)
            continue
        page = territories.search(service, level, q=name, limit=MAX_CHOICES)
        found += [Place(level, e.code, e.name, e.parents.get("departement", "") if level == "commune" else "")
                  for e in page.entries]
    labelled = [p for p in found if p.label == text.strip()]
    wanted = _compact(name)
    exact = [p for p in found if wanted in (_compact(p.name), p.code.lower())]
    return labelled or exact or found


def _compact(name: str) -> str:
    """« St-Malo », « saint malo » and « Saint-Malo » all give « saintmalo »."""
    return "".join(territories.ABBREVIATIONS.get(w, w) for w in words(name))


def place_from_key(service: Service, session: Session, key: str, field_name: str = "zone") -> Place:
    level, _, code = key.partition(":")
    if level not in LEVEL_LABELS or not code:
        raise ParamError(field_name, "forme attendue : niveau:code (commune, epci, pays, departement "
                                     "ou pole), par exemple epci:243500139")
    if level == "pole":
        pole = session.get(Pole, code)
        entry = Place(level, pole.id, pole.name) if pole else None
    else:
        found = territories.get(service, level, code)
        entry = found and Place(level, found.code, found.name,
                                found.parents.get("departement", "") if level == "commune" else "")
    if entry is None:
        raise ParamError(field_name, f"{WORDS[level].unknown} : « {code} »", status=404)
    return entry


def resolve_place(service: Service, session: Session, text: str, field_name: str = "territory",
                  levels: tuple[str, ...] = tuple(LEVEL_LABELS)) -> Place:
    """The one place named ``text``; several or none is the buyer's to settle (with choices)."""
    found = find_places(service, session, text, levels)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ParamError(field_name, f"aucun territoire ne s'appelle « {text} »", status=404)
    # 409: the name is not wrong, it fits several places (listed), of which the request must name one.
    raise ParamError(field_name, f"plusieurs territoires répondent à « {text} » : précisez lequel ("
                     + " ; ".join(p.label for p in found[:MAX_CHOICES]) + ")", status=409, choices=found[:MAX_CHOICES])


@dataclass(frozen=True)
class Criteria:
    place: Place | None = None
    centre: tuple[float, float] | None = None  # lon, lat
    centre_label: str = ""
    radius_km: float | None = None
    activities: frozenset[str] = frozenset()
    legal_forms: frozenset[LegalForm] = frozenset()
    reserved: frozenset[str] = frozenset()  # any of RESERVED
    publics: frozenset[str] = frozenset()  # any of PUBLICS
    labels: frozenset[str] = frozenset()  # any of these networks / labels
    q: str | None = None
    ess: bool | None = None  # None: ESS structures and the others
    reserved_verified: bool = False  # reserved statuses count only when verified
    sort: str = "nom"
    descending: bool = False

    def site_filter(self) -> SiteFilter:
        """The part of the search that ``carto.query.search`` knows."""
        territory = {self.place.level: self.place.code} if self.place else {}
        return SiteFilter(activities=set(self.activities), q=self.q, near=self.centre, radius_km=self.radius_km,
                          ess=self.ess, reserved_verified=self.reserved_verified, **territory)

    def describe(self, taxonomy: Taxonomy) -> list[str]:
        """The search in plain French, one line per criterion (page heading, export credits)."""
        lines = []
        if self.place:
            lines.append(f"Territoire : {self.place.label}")
        if self.centre and self.radius_km:
            lines.append(f"Dans un rayon de {self.radius_km:g} km autour de {self.centre_label}")
        elif self.centre:
            lines.append(f"Triés par distance à {self.centre_label}")
        named = [("Activités", sorted(taxonomy.activity(a).label for a in self.activities)),
                 ("Marchés réservés", [RESERVED[r] for r in sorted(self.reserved)]
                  + ([VERIFIED_ONLY] if self.reserved_verified else [])),
                 ("Public", [PUBLICS[p] for p in sorted(self.publics)]),
                 ("Forme juridique", sorted(LEGAL_FORM_LABELS[f] for f in self.legal_forms)),
                 ("Réseaux et labels", sorted(self.labels))]
        lines += [f"{title} : {' ; '.join(values)}" for title, values in named if values]
        if self.q:
            lines.append(f"Mots-clés : {self.q}")
        if self.ess is not None:
            lines.append("Structures de l'ESS seulement" if self.ess else "Structures hors ESS seulement")
        return lines


def _choice(field_name: str, values, allowed, what: str) -> frozenset:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ParamError(field_name, f"{what} inconnu : « {unknown[0]} » (valeurs : {', '.join(allowed)})")
    return frozenset(values)


def _centre(service: Service, session: Session, around: str | None,
            near: str | None) -> tuple[tuple[float, float] | None, str]:
    if near:
        lon, lat = params.parse_point(near, "near")
        return (lon, lat), f"{lat:.4f}, {lon:.4f}"
    if around:
        commune = resolve_place(service, session, around, "around", levels=("commune",))
        return territories.get(service, "commune", commune.code).centre, commune.label
    return None, ""


def _sort(raw: str | None, has_centre: bool) -> tuple[str, bool]:
    if not raw:
        return ("distance" if has_centre else "nom"), False
    key, descending = raw.lstrip("-"), raw.startswith("-")
    if key not in SORTS:
        raise ParamError("sort", f"tri inconnu : « {raw} » (valeurs : {', '.join(SORTS)}, précédées de - "
                                    "pour l'ordre décroissant)")
    if key == "distance" and not has_centre:
        raise ParamError("sort", "le tri par distance demande un centre (around ou near)")
    return key, descending


def parse(service: Service, session: Session, *, territory: str | None = None, zone: str | None = None,
          around: str | None = None, near: str | None = None, radius_km: str | float | None = None,
          activity=(), domain=(), legal_form=(), reserved=(), public=(), label=(), q: str | None = None,
          sort: str | None = None, ess: str | None = None, reserved_verified: str | None = None) -> Criteria:
    """Criteria from what a buyer typed (page, API or command line), checked field by field.

    ``zone`` (``epci:243500139``) names a territory exactly, as the autocomplete fills it in;
    otherwise ``territory`` is a name or code to resolve. Multiple values may be repeated or
    comma-separated.
    """
    place = (place_from_key(service, session, zone) if zone
             else resolve_place(service, session, territory) if territory else None)
    centre, centre_label = _centre(service, session, around, near)
    radius = params.parse_radius(radius_km)
    if radius and not centre:
        raise ParamError("radius_km", "un rayon demande un centre : une commune (around) ou un point (near)")
    activities = service.taxonomy.expand(params.parse_slugs(service.taxonomy, activity, "activity"),
                                         params.parse_slugs(service.taxonomy, domain, "domain"))
    forms = _choice("legal_form", params.split_values(legal_form), [f.value for f in LegalForm], "forme juridique")
    sort_key, descending = _sort(sort, centre is not None)
    return Criteria(place=place, centre=centre, centre_label=centre_label, radius_km=radius,
                    activities=frozenset(activities), legal_forms=frozenset(LegalForm(f) for f in forms),
                    reserved=_choice("reserved", params.split_values(reserved), list(RESERVED), "marché réservé"),
                    publics=_choice("public", params.split_values(public), list(PUBLICS), "public"),
                    labels=frozenset(params.repeated(label)), q=params.parse_text(q),  # a label may hold a comma
                    ess=params.parse_ess(ess), sort=sort_key, descending=descending,
                    reserved_verified=bool(params.parse_bool(reserved_verified, "reserved_verified")))


def place_geometry(session: Session, place: Place) -> str | None:
    """The outline of a place (GeoJSON text), to draw it on a map."""
    if place.level == "pole":
        return session.exec(select(Pole.geometry).where(Pole.id == place.code)).first()
    if place.level == "commune":
        return session.exec(select(Commune.geometry).where(Commune.code == place.code)).first()
    return session.exec(select(Territory.geometry).where(Territory.level == place.level)
                        .where(Territory.code == place.code)).first()


# --- Running a search ------------------------------------------------------------------------
# On the SQL search of /api/sites (``carto.query.search``): filters, counts and order in SQL, rows
# read in order as they are written out, so that an export of the whole directory holds one batch
# in memory at a time.

@dataclass
class Results:
    criteria: Criteria
    total: int
    activity_counts: dict[str, int] = field(default_factory=dict)  # before the activity filter (facets)
    # Distinct source credit lines and sources (None: our own) of the results: an export's attribution,
    # counted only when asked for (``run(sources=True)``); None otherwise, so that no file goes out without.
    credits: list[str] | None = None
    sources: set[str | None] | None = None
    where: list = field(default_factory=list, repr=False)  # SQL conditions of the matching sites
    # Sites of an index that holds the territory's names in order (a département's), before the
    # activities: what a walk of its names goes through. None: the walk goes through every site.
    walked: int | None = None


@dataclass
class Row:
    site: Site  # a plain record with the columns of ``Site`` as attributes (see ``iter_rows``)
    activities: list[str]
    distance_km: float | None


def _extra_conditions(session: Session, c: Criteria) -> list:
    """SQL for the buyer-specific filters that ``SiteFilter`` does not have."""
    where = []
    if c.legal_forms:
        where.append(col(Site.legal_form).in_(c.legal_forms))
    if c.reserved:  # any of the statuses asked for (verified ones only: the site filter has any verified)
        where.append(search.reserved_clause(c.reserved, verified=c.reserved_verified))
    if c.publics:
        columns = {"particuliers": Site.serves_individuals, "professionnels": Site.serves_professionals}
        where.append(or_(*(col(columns[p]).is_(True) for p in sorted(c.publics))))
    if c.labels:
        elements = "json_each" if is_sqlite(session.get_bind()) else "json_array_elements_text"
        label = getattr(func, elements)(Site.labels).table_valued("value")
        where.append(exists(select(1).select_from(label).where(label.c.value.in_(sorted(c.labels)))))
    if c.centre and c.radius_km:
        where.append(distance_sql(c.centre) <= c.radius_km)
    return where


def distance_sql(centre: tuple[float, float]):
    """Great-circle distance in km from ``centre`` (lon, lat) to each site: ``search.distance_km``
    written in SQL (SQLite's math functions, PostgreSQL's own)."""
    lon, lat = centre
    k = math.pi / 180
    half_lat = func.sin((col(Site.lat) - lat) * (k / 2))
    half_lon = func.sin((col(Site.lon) - lon) * (k / 2))
    a = half_lat * half_lat + math.cos(lat * k) * func.cos(col(Site.lat) * k) * half_lon * half_lon
    return (2 * EARTH_RADIUS_KM) * func.asin(func.sqrt(a))


def _order(session: Session, c: Criteria, walk: bool) -> list:
    """ORDER BY of the chosen sort, names as a French reader sorts them, the id last. A missing
    verification date counts as the oldest, a missing legal form comes after every other. ``walk``:
    the name index may give the name order, else the matching sites are sorted (the planner cannot
    tell that few sites of a territory have an activity, and walked 800,000 names for 952)."""
    name, site_id = col(Site.sort_name), col(Site.id)  # its French sort key (carto.core.textnorm.sort_key)
    if not walk:
        name, site_id = search_index.unindexed(session, name, site_id, everywhere=True)
    form = french_order(session, case(LEGAL_FORM_LABELS, value=col(Site.legal_form)))
    first = {"nom": [], "commune": [(french_order(session, col(Site.commune_name)), None)],
             "distance": [(distance_sql(c.centre), None)] if c.centre else [], "forme": [(form, "high")],
             "verifie": [(col(Site.verified_at), "low")]}[c.sort]
    order = []
    for key, missing in [*first, (name, None), (site_id, None)]:
        key = key.desc() if c.descending else key.asc()
        if missing:
            key = key.nulls_first() if (missing == "low") != c.descending else key.nulls_last()
        order.append(key)
    return order


NAME_ORDERED_LEVELS = ("commune", "epci", "pays", "departement")  # see carto.storage.models.Site


def run(session: Session, criteria: Criteria, *, sources: bool = False) -> Results:
    """The count of the sites matching ``criteria`` and per-activity counts (facets); with ``sources``,
    the source credits and sources of the results too (an export's attribution). ``iter_rows`` then
    reads the sites in order.

    Counted by one pass over the sites matching every criterion but the activities, grouped by
    combination of activities (``Site.activity_slugs``), credit and source: the activities then
    choose the groups, and every activity's count comes from the same groups. A search of the
    whole directory by activities and the ESS flag at most, without ``sources``, adds up the map's
    grid cells instead (``carto.query.cells``): that pass read every published site (180 ms at
    1,000,000 sites on PostGIS)."""
    site_filter = criteria.site_filter()
    extra = _extra_conditions(session, criteria)
    where = search.conditions(session, site_filter) + extra
    if not sources and not extra and cells.usable(site_filter):
        by_activities = cells.everywhere(session, site_filter)
        return Results(criteria, cells.total(by_activities, site_filter.activities),
                       cells.per_activity(by_activities), where=where)
    facets = search.conditions(session, site_filter, skip_activities=True) + extra
    groups = session.connection().execute(
        select(Site.activity_slugs, Site.credit, Site.source, func.count().label("sites"))
        .where(*facets).group_by(Site.activity_slugs, Site.credit, Site.source)).all()
    by_activities = Counter()
    for group in groups:
        by_activities[group.activity_slugs] += group.sites
    wanted = set(criteria.activities)
    chosen = [g for g in groups if not wanted or wanted & set(g.activity_slugs.split(","))]
    # A territory's index (ix_site_departement, ix_site_epci…) holds its sites in name order: walked
    # when a page of them is cheaper to read that way than sorting every match.
    in_order = criteria.place is not None and criteria.place.level in NAME_ORDERED_LEVELS
    return Results(criteria, sum(g.sites for g in chosen), cells.per_activity(by_activities),
                   sorted({g.credit for g in chosen if g.credit}) if sources else None,
                   {g.source for g in chosen} if sources else None, where,
                   sum(by_activities.values()) if in_order else None)


def iter_rows(session: Session, results: Results, offset: int = 0, limit: int | None = None,
              taxonomy: Taxonomy | None = None, batch: int = 500) -> Iterator[Row]:
    """The sites of the results in order, read by batches of ``batch`` from one SQL query (without
    ``limit``, a server-side cursor on PostgreSQL): an export of the whole dataset streams.

    Sites come as plain records with the columns of ``Site`` as attributes: fast (a ``Site`` object
    cost SQLAlchemy ~40 µs to build, 4 ms for a page of 100), and nothing piles up in the session
    during a long export. With ``taxonomy``, each site's activities come in the taxonomy's order.
    """
    c = results.criteria
    rank = {slug: i for i, slug in enumerate(taxonomy.activities)} if taxonomy else {}
    distance = (distance_sql(c.centre) if c.centre else null()).label("distance_km")
    query = _in_order(session, results, offset, limit, (*Site.__table__.columns, distance))
    if limit is None:  # everything, streamed: a server-side cursor, which needs a transaction (``Service.session``)
        query = query.execution_options(yield_per=batch)
    for chunk in session.connection().execute(query).partitions(batch):
        ids = [row.id for row in chunk]
        activities: dict[int, list[str]] = {i: [] for i in ids}
        for site_id, activity in session.connection().execute(
                select(SiteActivity.site_id, SiteActivity.activity).where(col(SiteActivity.site_id).in_(ids))):
            activities[site_id].append(activity)
        for row in chunk:
            yield Row(row, sorted(activities[row.id], key=lambda a: (rank.get(a, len(rank)), a)),
                      None if row.distance_km is None else round(row.distance_km, 3))


def markers(session: Session, results: Results, limit: int) -> list:
    """The first ``limit`` sites of the results in order, as rows of ``site_json.MARKER_COLUMNS`` (what
    ``site_json.Pieces.markers`` joins): a map of 2,000 markers read the whole rows (stored features,
    search texts) and their activities."""
    return session.connection().execute(_in_order(session, results, 0, limit, site_json.MARKER_COLUMNS)).all()


def _in_order(session: Session, results: Results, offset: int, limit: int | None, columns: tuple):
    """The statement of ``columns`` of the results' sites in order, from ``offset``, ``limit`` of them
    (None: all)."""
    c = results.criteria
    walk = search.walk_is_cheaper(session, results.total, offset + (results.total if limit is None else limit),
                                  among=results.walked)
    order = _order(session, c, walk)
    query = select(*columns)
    if limit is None:  # everything, streamed
        return query.where(*results.where).order_by(*order).offset(offset or None)
    # The page's keys first, then its rows: the keys of a département come from its index alone
    # (a site row read for each name walked cost 1,000 heap pages for a page of 100 at 1,000,000 sites).
    keys = select(Site.id).where(*results.where).order_by(*order).offset(offset or None).limit(limit)
    return query.where(col(Site.id).in_(keys.scalar_subquery())).order_by(*order)


def available_labels(session: Session) -> list[str]:
    """Networks and labels found on published sites (the choices of the label filter), counted by the
    write path (``carto.storage.tallies``): no index holds them, and their lists read from every
    published site took 1.5 s at 1,000,000 sites on PostGIS, for a form every buyer opens."""
    return sorted(session.exec(select(LabelTally.label).where(LabelTally.count > 0)), key=fold)
