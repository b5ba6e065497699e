"""Every table of Carto ESS, in one place (SQLModel).

Portable by design: plain columns and JSON only, so that the same models run on SQLite (embedded
default) and PostgreSQL + PostGIS (server mode). Geometry is stored as GeoJSON text; spatial
indexes live beside the tables (see ``carto.storage.search_index``).
"""
from datetime import date, datetime, timezone
from enum import Enum

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, false, text, true
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SiteStatus(str, Enum):
    published = "published"
    pending = "pending"
    refused = "refused"
    archived = "archived"


class LegalForm(str, Enum):
    association = "association"
    cooperative = "cooperative"  # SCOP, SCIC, coopérative
    mutuelle = "mutuelle"
    fondation = "fondation"
    esus = "esus"  # entreprise agréée ESUS
    autre = "autre"


LEGAL_FORM_LABELS = {
    LegalForm.association: "Association",
    LegalForm.cooperative: "Coopérative (SCOP, SCIC…)",
    LegalForm.mutuelle: "Mutuelle",
    LegalForm.fondation: "Fondation",
    LegalForm.esus: "Entreprise agréée ESUS",
    LegalForm.autre: "Autre",
}


class PositionPrecision(str, Enum):
    address = "address"  # the address's number (BAN), or clicked on a map
    street = "street"  # the street or the place-name only (BAN)
    commune = "commune"  # only the commune is known: its centre


# --- Data version ------------------------------------------------------------------------------

class DataVersion(SQLModel, table=True):
    """The version of everything the public reads: one row, moved by every writer of public output
    in its own transaction (``carto.storage.freshness``)."""
    id: int = Field(default=1, primary_key=True)
    data: int = 0  # sites, activities, pôles and their coverage, territories
    geography: int = 0  # communes, territories and coverage: what a process's locator is built from
    # Random, new at creation and at each restore: a database brought back to an older counter never
    # answers again with an ETag that meant other data.
    epoch: str = Field(default="", max_length=16)


# --- Territories -------------------------------------------------------------------------------

class Commune(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=5)  # INSEE code, text
    name: str
    dep_code: str = Field(index=True)  # its département
    population: int = 0
    postcodes: str = ""  # comma separated
    epci_code: str | None = Field(default=None, index=True)
    pays_code: str | None = Field(default=None, index=True)
    lon: float  # a point inside the commune, used as its centre
    lat: float
    geometry: str = Field(sa_column=Column(Text))  # GeoJSON, WGS84


class Territory(SQLModel, table=True):
    """EPCI, pays and départements, each the dissolved union of its communes."""
    level: str = Field(primary_key=True)  # epci | pays | departement
    code: str = Field(primary_key=True)
    name: str
    population: int = 0
    n_communes: int = 0
    kind: str | None = None  # EPCI type (CA, CC, METRO)
    geometry: str = Field(sa_column=Column(Text))


class Pole(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str
    dep_codes: str = ""  # its départements, comma separated
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: str | None = None
    source: str | None = None
    # Coverage is data: a set of pays, or an uploaded polygon (GeoJSON) which takes precedence.
    coverage_pays: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    coverage_geojson: str | None = Field(default=None, sa_column=Column(Text))
    geometry: str | None = Field(default=None, sa_column=Column(Text))  # computed coverage
    updated_at: datetime = Field(default_factory=utcnow)


class PoleCommune(SQLModel, table=True):
    """Which communes a pôle covers: computed from its coverage, joined at read time."""
    pole_id: str = Field(primary_key=True, foreign_key="pole.id")
    commune_code: str = Field(primary_key=True, index=True)


# --- Sites -----------------------------------------------------------------------------------

# A reserved-contract status (a flag of Site) → the column holding its verification.
RESERVED_VERIFICATIONS = {"siae": "siae_verification", "ea_esat": "ea_esat_verification"}
# The sites holding any verified reserved status: the condition of their partial index.
VERIFIED_ANY = " OR ".join(f"{column} IS NOT NULL" for column in RESERVED_VERIFICATIONS.values())


def flag_index(flag: str, held: bool = True) -> Index:
    """The sites holding a flag (``siae``, ``ea_esat``), or without it (``held=False``: ``ess``, as few
    sites are outside the ESS), by status: a partial index, which a filter asking for that value with a
    status reads as it read an index of the whole column (SQLite, without statistics, chooses it over
    the status's only because it has the status too), while a site of the other value (most of them)
    costs its write nothing and a filter asking for that other value cannot read it. Each backend's
    form of the condition, as each writes the filter's (``siae = 1`` on SQLite; PostgreSQL simplifies
    ``siae = true`` to ``siae``)."""
    return Index(f"ix_site_{flag}" if held else f"ix_site_not_{flag}", "status",
                 sqlite_where=text(f"{flag} = {int(held)}"), postgresql_where=text(flag if held else f"NOT {flag}"))


class Site(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("source", "source_key", name="uq_site_source_key"),
        # Status first, as every public read asks for published sites. (status, lon, lat, id, ess,
        # activity_slugs): boxes are counted and grouped (carto.query.clusters, .cells) from this index
        # alone, with the map's filters (ESS, activities). (status, name, …): pages
        # in name order (its French sort key) without sorting, and the map's markers read from the index alone (a row
        # of the table holds ~1.5 KB: 500 lookups cost SQLite as much as the rest of the page).
        # (status, lat, lon, …): the thin strips along the north and south edges of a view, counted
        # exactly (carto.query.cells) from the index alone, instead of every longitude of the view's
        # width; a box is read through it only when asked (``search_index.bbox_clause``).
        Index("ix_site_status_lon_lat", "status", "lon", "lat", "id", "ess", "activity_slugs"),
        Index("ix_site_status_lat_lon", "status", "lat", "lon", "id", "ess", "activity_slugs"),
        Index("ix_site_status_name", "status", "sort_name", "id", "lon", "lat", "marker_json", "activity_slugs"),
        # A département's sites in name order, with what its supplier search groups and counts (ESS flag,
        # activities, credit, source): its grouped pass and the keys of its pages read this index alone
        # (at 1,000,000 sites, the 18,464 sites of Ille-et-Vilaine lie on 17,910 pages of the table: a
        # read of their rows cost 100 ms where the index costs 8 ms), and a page walks it in name order.
        Index("ix_site_departement", "dep_code", "status", "sort_name", "id", "ess", "activity_slugs", "credit", "source"),
        # The same for the other territories, a pôle as its communes: an EPCI's grouped pass and its
        # pages' keys read its 7,657 sites' rows at 1,000,000 sites (7,531 pages: 43 and 55 ms); this
        # index alone, 3.9 and 4.0 ms.
        *(Index(f"ix_site_{level}", f"{level}_code", "status", "sort_name", "id", "ess", "activity_slugs", "credit",
                "source") for level in ("commune", "epci", "pays")),
        # The same sites in the order of the supplier search's groups (activities, credit, source): SQLite,
        # which has no hash aggregate, counts them without sorting the département's entries (32,725
        # at 100,000 sites: 20 ms of its 25 ms pass).
        Index("ix_site_departement_groups", "dep_code", "status", "activity_slugs", "credit", "source", "ess"),
        # The few sites holding a verified reserved status (``reserved_verified=true``), in name order:
        # without it that filter tested every published site's proofs (146 ms at 100,000 sites). The
        # filter repeats its condition (``search.reserved_clause``), so both planners see it applies.
        Index("ix_site_reserved_verified", "status", "sort_name", "id",
              **{f"{dialect}_where": text(VERIFIED_ANY) for dialect in ("sqlite", "postgresql")}),
        flag_index("siae"), flag_index("ea_esat"), flag_index("ess", held=False),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text))
    street: str = ""
    postcode: str = ""
    commune_code: str | None = None  # each indexed by its territory's index (ix_site_commune…)
    epci_code: str | None = None
    pays_code: str | None = None
    dep_code: str | None = None
    commune_name: str = ""  # denormalised for display and text search
    search_text: str = Field(default="", sa_column=Column(Text))  # folded name, description, commune
    # The key lists in name order sort by (carto.core.textnorm.sort_key), the same on both backends.
    sort_name: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Its public JSON, written with it (carto.directory.site_json): pages read these instead of 31 columns.
    activity_slugs: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    marker_json: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    feature_json: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    outside_territory: bool = False  # accepted by an administrator outside every commune
    lon: float
    lat: float
    position_precision: PositionPrecision = PositionPrecision.address
    geocode_score: float | None = None  # the BAN's match score (0–1) when an import placed it by its address
    website: str | None = None
    email: str | None = None  # public contact e-mail of the structure
    phone: str | None = None
    opening_hours: str | None = None  # OpenStreetMap opening_hours syntax
    siret: str | None = Field(default=None, index=True, max_length=14)
    legal_form: LegalForm | None = None
    siae: bool = Field(default=False)  # structure d'insertion par l'activité économique
    ea_esat: bool = Field(default=False)  # entreprise adaptée / ESAT
    # What makes such a status verified (carto.directory.reserved_status): None, it is only declared
    # (anyone may tick it); else who verified it, when, against which document and its number.
    siae_verification: dict | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    ea_esat_verification: dict | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    serves_individuals: bool = True
    serves_professionals: bool = False
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # networks, labels
    # Indexed alone too (migration 0034): SQLite tests « status = ? AND id = ? » in it for each id of a
    # list (a search's matches); the composite indexes above can only be walked whole for a status.
    status: SiteStatus = Field(default=SiteStatus.published, index=True)
    is_demo: bool = False
    source: str | None = None
    source_key: str | None = None
    credit: str | None = None  # credit line of the source (e.g. LVAO "paternite"), shown on reuse
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    verified_at: date | None = None
    version: int = 1  # optimistic locking: every write checks and increments it
    # An ESS structure: true for what is proposed on Carto ESS, as its source says for imports (LVAO:
    # type_dacteur or a label "ess"; artisans, shops and collectivités are not). Public: the map
    # shows ESS structures by default. No index of its own: its value is that of most sites, and
    # SQLite, without statistics, read every ESS structure through it for a territory's ESS ones
    # (``flag_index`` keeps the few others).
    ess: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    missing_from_source_at: datetime | None = None  # its import source stopped listing it (for moderators)
    missing_kept_at: datetime | None = None  # a moderator kept it all the same: not asked again while still missing


class SourceLicence(SQLModel, table=True):
    """The licence of an import source's records (``carto.storage.source_licences``): read from the
    import file or its mapping, it travels with every record of that source into the exports."""
    source: str = Field(primary_key=True)
    licence: str  # an identifier of carto.core.licences (« ODbL-1.0 »), or the source's own words
    updated_at: datetime = Field(default_factory=utcnow)


class SiteActivity(SQLModel, table=True):
    """A site's activity, with the site's status and position (kept in step by the write path): an
    activity filter within a box then reads only the box's links of those activities, from the
    index, instead of testing every site of the box or listing every site of the activity."""
    __table_args__ = (Index("ix_siteactivity_activity_status_lon_lat", "activity", "status", "lon", "lat", "site_id"),)
    site_id: int = Field(primary_key=True, foreign_key="site.id")
    activity: str = Field(primary_key=True)
    status: SiteStatus
    lon: float
    lat: float


class SiteWord(SQLModel, table=True):
    """A word of a site's name (each indexed form: the folded word and its stem) beside the site's
    sort key, kept by the write path with the text index (``carto.storage.search_index``): the names
    holding a word, in name order, read from this key alone. The text index cannot give that order,
    and when a frequent word's names share their first letters (« Ressourcerie de … ») neither
    walking every name nor sorting every match stays bounded at 1,000,000 sites."""
    __table_args__ = (Index("ix_siteword_site_id", "site_id"),)
    word: str = Field(primary_key=True)
    sort_name: str = Field(primary_key=True)
    site_id: int = Field(primary_key=True)  # no foreign key: a derived copy, like the text index


class SiteCell(SQLModel, table=True):
    """Published sites counted per cell of the map's grid at each zoom up to ``cells.MAX_ZOOM`` and per
    combination of activities (``activities``: a site's ``activity_slugs``; ``*``: all its sites), kept
    by the write path (``carto.storage.cells``): a view's clusters and counts read these rows instead
    of every site of the view. Sums are exact; bounds only grow (a site leaving keeps them). Counted
    apart for ESS structures and the others (``ess``): the public map shows the ESS ones by default.
    The primary key reads a range of columns of cells (``cx`` first); (zoom, activities, cy, cx) a
    range of rows: the bands along the top and bottom of a view (``carto.query.cells``), which the
    key would read over every row of cells of their width (18 ms for 1,907 cells at 1,000,000 sites)."""
    __table_args__ = (Index("ix_sitecell_rows", "zoom", "activities", "cy", "cx"),)
    zoom: int = Field(primary_key=True)
    activities: str = Field(primary_key=True)
    cx: int = Field(primary_key=True)
    cy: int = Field(primary_key=True)
    ess: bool = Field(primary_key=True, sa_column_kwargs={"server_default": true()})
    count: int
    sum_lon: float
    sum_lat: float
    sum_id: int = Field(sa_column=Column(BigInteger, nullable=False))  # with one site, its id
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


class SiteTally(SQLModel, table=True):
    """Published sites counted per territory of each level (``level``: commune, epci, pays or
    departement; ``code``: the territory's, « » for the sites in none of the level) and per combination
    of activities (``activities``: a site's ``activity_slugs``, « » without any), kept by the write
    path (``carto.storage.tallies``): the statistics and the pôles' index read these rows instead of
    every published site. A row whose sites all left keeps a count of 0."""
    level: str = Field(primary_key=True)
    code: str = Field(primary_key=True)
    activities: str = Field(primary_key=True)
    count: int


class LabelTally(SQLModel, table=True):
    """Published sites holding each network or label (``Site.labels``), kept by the write path
    (``carto.storage.tallies``): the supplier form's label choices. A count of 0 is a label no
    published site holds any more."""
    label: str = Field(primary_key=True)
    count: int


class SiteVersion(SQLModel, table=True):
    """History: one row per write of a site, with the changed fields and a full snapshot."""
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(index=True, foreign_key="site.id")
    version: int
    action: str  # create | update | status | restore | import
    actor: str  # "user:12", "import:lvao", "cli", "contribution:34" …
    contribution_id: int | None = None
    changed_at: datetime = Field(default_factory=utcnow)
    changes: dict = Field(default_factory=dict, sa_column=Column(JSON))  # field -> [old, new]
    snapshot: dict = Field(default_factory=dict, sa_column=Column(JSON))


# --- Accounts, contributions and moderation -----------------------------------------------------

class UserRole(str, Enum):
    admin = "admin"  # the Cress: sees and decides everything, manages accounts
    moderator = "moderator"  # a pôle or a domain team: sees and decides only its scope


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)  # stored lower-cased
    name: str = Field(default="", max_length=120)
    role: UserRole = UserRole.moderator
    password_hash: str
    active: bool = True
    digest: bool = True  # wants the e-mail digest of its queue (``carto notify``)
    last_digest_at: datetime | None = None  # its last digest covered what arrived before this moment
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None


class UserPole(SQLModel, table=True):
    """A moderator's pôles: it moderates sites whose commune the pôle covers."""
    user_id: int = Field(primary_key=True, foreign_key="user.id")
    pole_id: str = Field(primary_key=True, foreign_key="pole.id")


class UserDomain(SQLModel, table=True):
    """A moderator's domains (taxonomy slugs): it moderates sites with an activity of the domain."""
    user_id: int = Field(primary_key=True, foreign_key="user.id")
    domain: str = Field(primary_key=True)


class LoginSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(index=True, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ContributionKind(str, Enum):
    new_site = "new_site"  # the proposed site is a Site row with status pending until decided
    change = "change"  # a field-by-field diff against the version it was based on
    report = "report"


class ContributionStatus(str, Enum):
    pending = "pending"
    accepted = "accepted"
    refused = "refused"
    merged = "merged"  # a new site merged into an existing one (``merged_into``)
    archived = "archived"  # report: the site was archived
    corrected = "corrected"  # report: a moderator corrected the site
    dismissed = "dismissed"  # report: nothing to do
    withdrawn = "withdrawn"  # its author withdrew it from the follow-up page before a decision


class ReportReason(str, Enum):
    closed = "closed"
    wrong = "wrong"
    duplicate = "duplicate"
    off_charter = "off_charter"


class Contribution(SQLModel, table=True):
    """A proposal from the public: a new site, a change or a report, and its moderation decision.

    The contributor's name and e-mail are private: they never leave the moderation side.
    """
    id: int | None = Field(default=None, primary_key=True)
    kind: ContributionKind = Field(index=True)
    status: ContributionStatus = Field(default=ContributionStatus.pending, index=True)
    site_id: int | None = Field(default=None, index=True, foreign_key="site.id")
    base_version: int | None = None  # change: the site version the contributor saw
    changes: dict = Field(default_factory=dict, sa_column=Column(JSON))  # change: field -> [old, new]
    reason: ReportReason | None = None  # report
    comment: str = Field(default="", sa_column=Column(Text))  # contributor's message to moderators
    duplicates: list[int] = Field(default_factory=list, sa_column=Column(JSON))  # new site: likely duplicates
    likely_duplicate: bool = Field(default=False, index=True)  # duplicates is not empty (portable filter)
    contributor_name: str = Field(default="", max_length=120)
    contributor_email: str | None = Field(default=None, max_length=254)
    token_hash: str = Field(unique=True, max_length=64)  # SHA-256 of the follow-up token
    created_at: datetime = Field(default_factory=utcnow, index=True)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decision_reason: str = Field(default="", sa_column=Column(Text))
    merged_into: int | None = Field(default=None, foreign_key="site.id")
    # Sent with a one-time link mailed to the site's public address (``OwnerLink``): from its owner.
    verified_owner: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class OwnerLink(SQLModel, table=True):
    """A one-time link mailed to a site's public address: whoever opens it manages the structure."""
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(index=True, foreign_key="site.id")
    email: str = Field(max_length=254)  # the public address it was sent to
    token_hash: str = Field(unique=True, max_length=64)  # SHA-256 of the token
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class OwnerPublishing(SQLModel, table=True):
    """Domains where an administrator lets verified owners publish their changes without review."""
    domain: str = Field(primary_key=True)
    enabled_by: int = Field(foreign_key="user.id")
    enabled_at: datetime = Field(default_factory=utcnow)


class FreshnessRequest(SQLModel, table=True):
    """A freshness campaign's question to a structure: is its sheet still right? (``carto freshness send``)"""
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(index=True, foreign_key="site.id")
    email: str = Field(index=True, max_length=254)  # the site's public address when asked
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_sent_at: datetime = Field(default_factory=utcnow)
    reminders: int = 0
    answered_at: datetime | None = None
    outcome: str | None = None  # confirmed | corrected | unanswered (then in the « à vérifier » queue)


class FreshnessOptOut(SQLModel, table=True):
    """An address that asked for no more freshness mails."""
    email: str = Field(primary_key=True, max_length=254)
    created_at: datetime = Field(default_factory=utcnow)


class ReviewLock(SQLModel, table=True):
    """« En cours d'examen »: a moderator opened a proposal; others are warned for a while (a soft lock)."""
    contribution_id: int = Field(primary_key=True, foreign_key="contribution.id")
    user_id: int = Field(foreign_key="user.id")
    started_at: datetime = Field(default_factory=utcnow)


class OutgoingMail(SQLModel, table=True):
    """Mails are written here in the transaction that causes them, then delivered: never lost silently."""
    id: int | None = Field(default=None, primary_key=True)
    to: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = None


# --- Rate limits (shared by every server process) ---------------------------------------------

class RateCounter(SQLModel, table=True):
    """One limited key (``rule|subject``, e.g. submissions from one address) as a GCRA counter.

    ``tat`` (theoretical arrival time, Unix seconds) moves forward by window/limit for each event
    taken; a key is full while ``tat`` is more than a window ahead of now. One row, one conditional
    UPDATE: atomic on both backends, whatever the number of processes.
    """
    key: str = Field(primary_key=True, max_length=400)
    tat: float = 0


class LoginThrottle(SQLModel, table=True):
    """Sign-in attempts for one account from one address, counted before the password is checked."""
    key: str = Field(primary_key=True, max_length=400)  # digests of the e-mail and the address
    failures: int = 0
    locked_until: float = 0  # Unix seconds
    last_failure: float = 0


# --- Imports (LVAO, CSV, GeoJSON, GoGoCarto) ----------------------------------------------------

class ImportRunStatus(str, Enum):
    running = "running"
    finished = "finished"
    failed = "failed"  # the batches committed before the failure stay, the failing one left nothing


class ImportRun(SQLModel, table=True):
    """One import of a file: what it did, for the record and the moderators."""
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    format: str
    filename: str = ""
    actor: str  # "import:lvao", or the administrator who uploaded it ("user:3")
    status: ImportRunStatus = ImportRunStatus.running
    started_at: datetime = Field(default_factory=utcnow)
    heartbeat_at: datetime | None = None  # each committed batch: a run long silent was interrupted
    finished_at: datetime | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    missing: int = 0  # sites of the source that this file no longer lists (flagged, not deleted)
    conflicts: int = 0
    skipped_by_reason: dict = Field(default_factory=dict, sa_column=Column(JSON))  # reason -> count
    error: str | None = None


class ImportState(SQLModel, table=True):
    """What the source said when it last wrote a site, to tell moderators' corrections from its own.

    The source's last values are the site's snapshot at ``site_version`` overlaid with
    ``overrides`` (the fields where a moderator's value was kept against the source).
    """
    site_id: int = Field(primary_key=True, foreign_key="site.id")
    content_hash: str = Field(max_length=32)
    site_version: int
    overrides: dict = Field(default_factory=dict, sa_column=Column(JSON))  # field -> source value
    run_id: int | None = None


class ImportConflictStatus(str, Enum):
    open = "open"
    applied = "applied"  # a moderator took the source's value
    kept = "kept"  # a moderator kept the current value
    superseded = "superseded"  # the source changed the field again: a newer conflict replaces it


class ImportConflict(SQLModel, table=True):
    """A field corrected by hand that a later import would change: for the moderation queue."""
    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(index=True, foreign_key="site.id")
    run_id: int | None = None
    source: str
    field: str
    current: dict | list | str | float | int | bool | None = Field(default=None, sa_column=Column(JSON))
    incoming: dict | list | str | float | int | bool | None = Field(default=None, sa_column=Column(JSON))
    status: ImportConflictStatus = Field(default=ImportConflictStatus.open, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    resolved_by: str | None = None


class SireneRecord(SQLModel, table=True):
    """What Sirene (the recherche-entreprises API) last said of an establishment, by SIRET: shown to
    moderators beside proposals, compared by ``carto sites check-sirene``."""
    siret: str = Field(primary_key=True, max_length=14)
    checked_at: datetime = Field(default_factory=utcnow, index=True)
    found: bool = True
    active: bool | None = None  # establishment's « état administratif » A (actif) / F (fermé)
    closed_on: date | None = None  # its « date de fermeture » when closed
    name: str = ""
    legal_form_code: str = ""  # catégorie juridique (« 5560 »)
    legal_form_label: str = ""  # its label (« SCIC »…)
    naf: str = ""  # activité principale of the establishment (« 38.32Z »)
    ess: bool | None = None  # the legal unit is flagged ESS
    street: str = ""
    postcode: str = ""
    city: str = ""
