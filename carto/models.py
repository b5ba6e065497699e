"""Every table of Carto ESS, in one place (SQLModel).

Portable by design: plain columns and JSON only, so that the same models run on SQLite (embedded
default) and PostgreSQL + PostGIS (server mode). Geometry is stored as GeoJSON text; spatial
indexes live beside the tables (see ``carto.search_index``).
"""
from datetime import date, datetime, timezone
from enum import Enum

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
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
    address = "address"  # geocoded or clicked on a map
    commune = "commune"  # only the commune is known: its centre


# --- Territories -------------------------------------------------------------------------------

class Commune(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=5)  # INSEE code, text
    nom: str
    dep: str = Field(index=True)
    population: int = 0
    codes_postaux: str = ""  # comma separated
    epci_code: str | None = Field(default=None, index=True)
    pays_code: str | None = Field(default=None, index=True)
    lon: float  # a point inside the commune, used as its centre
    lat: float
    geometry: str = Field(sa_column=Column(Text))  # GeoJSON, WGS84


class Territory(SQLModel, table=True):
    """EPCI, pays and départements, each the dissolved union of its communes."""
    level: str = Field(primary_key=True)  # epci | pays | departement
    code: str = Field(primary_key=True)
    nom: str
    population: int = 0
    n_communes: int = 0
    kind: str | None = None  # EPCI type (CA, CC, METRO)
    geometry: str = Field(sa_column=Column(Text))


class Pole(SQLModel, table=True):
    id: str = Field(primary_key=True)
    nom: str
    departements: str = ""
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

class Site(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("source", "source_key", name="uq_site_source_key"),
        Index("ix_site_lon_lat", "lon", "lat"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text))
    street: str = ""
    postcode: str = ""
    commune_code: str | None = Field(default=None, index=True)
    epci_code: str | None = Field(default=None, index=True)
    pays_code: str | None = Field(default=None, index=True)
    dep_code: str | None = Field(default=None, index=True)
    commune_name: str = ""  # denormalised for display and text search
    search_text: str = Field(default="", sa_column=Column(Text))  # folded name, description, commune
    outside_territory: bool = False  # accepted by an administrator outside every commune
    lon: float
    lat: float
    position_precision: PositionPrecision = PositionPrecision.address
    website: str | None = None
    email: str | None = None  # public contact e-mail of the structure
    phone: str | None = None
    opening_hours: str | None = None  # OpenStreetMap opening_hours syntax
    siret: str | None = Field(default=None, index=True, max_length=14)
    legal_form: LegalForm | None = None
    siae: bool = Field(default=False, index=True)  # structure d'insertion par l'activité économique
    ea_esat: bool = Field(default=False, index=True)  # entreprise adaptée / ESAT
    serves_individuals: bool = True
    serves_professionals: bool = False
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # networks, labels
    status: SiteStatus = Field(default=SiteStatus.published, index=True)
    is_demo: bool = False
    source: str | None = None
    source_key: str | None = None
    credit: str | None = None  # credit line of the source (e.g. LVAO "paternite"), shown on reuse
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    verified_at: date | None = None
    version: int = 1  # optimistic locking: every write checks and increments it


class SiteActivity(SQLModel, table=True):
    site_id: int = Field(primary_key=True, foreign_key="site.id")
    activity: str = Field(primary_key=True, index=True)


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
