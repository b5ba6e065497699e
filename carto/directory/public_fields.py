"""The public vocabulary of a site: one table of its fields, named in French for those who read them.

Code and database speak English (``Site.name``, ``Site.commune_code``); what other programs and
people read speaks French, in the style of the schemas of schema.data.gouv.fr (« Services de
l'inclusion », « Lieux de médiation numérique »): ``nom``, ``adresse``, ``code_postal``,
``code_commune``, ``site_web``, ``courriel``, ``date_maj``… Every output takes its fields from
``FIELDS``, in its order: the properties of the API's features and of OGC items (``IN_FEATURE``,
stored with each site by ``carto.directory.site_json``), every export and the published Table
Schema (``IN_EXPORT``, ``carto.publish``), the OGC queryables (``carto.query.params``).

A field read from a column names it (``attribute``); the statuses of reserved contracts and their
proofs are read from two columns each (``carto.directory.reserved_status``); the others are worked
out when published (activities and their labels, names of territories, licence…) by the output
that has what they need.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import Enum
from functools import lru_cache
from operator import attrgetter, itemgetter

from carto.directory import reserved_status
from carto.storage.models import LEGAL_FORM_LABELS, LegalForm, PositionPrecision, SiteStatus

# Fixed patterns of codes (text: leading zeros, Corsica's 2A/2B).
PATTERNS = {"siret": r"^\d{14}$", "code_postal": r"^\d{5}$", "code_commune": r"^(\d{5}|2[AB]\d{3})$",
            "code_epci": r"^\d{9}$", "code_departement": r"^(\d{2}|2[AB]|97\d)$"}


@dataclass(frozen=True)
class Field:
    name: str  # public name: French, ASCII snake case
    title: str  # French label (the schema's title, XLSX headers)
    description: str  # French, for the published schema
    # str | code (digits that are not numbers: SIRET, INSEE…) | list (of texts) | int | float | bool | date | datetime
    kind: str = "str"
    attribute: str | None = None  # the ``Site`` column it is read from; None: worked out when published
    constraints: dict = field(default_factory=dict)  # Table Schema constraints beyond the type
    format: str | None = None  # Table Schema format of a string: uri, email
    width: int = 14  # characters a spreadsheet column needs to show it
    in_feature: bool = True  # a property of the API's features and OGC items
    in_export: bool = True  # a column of the exports (and of the schema)


def _code(name: str, title: str, description: str, attribute: str, width: int = 12, **more) -> Field:
    constraints = {"pattern": PATTERNS[name]} if name in PATTERNS else {}
    return Field(name, title, description, "code", attribute, constraints, width=width, **more)


def _reserved(flag: str, title: str, document: str, number: str) -> list[Field]:
    """The fields of a reserved status: declared or verified, and its proof."""
    status = reserved_status.STATUSES[flag]
    kinds = [] if len(status.kinds) == 1 else [Field(
        f"{flag}_type", f"{title} : type vérifié", "Ce que le document vérifié établit : "
        + ", ".join(f"{k} ({reserved_status.KINDS[k].label})" for k in status.kinds), "str",
        constraints={"enum": list(status.kinds)}, width=10)]
    return [
        Field(f"{flag}_statut", f"{title} : statut",
              "declared : déclaré (case cochée par la structure, un contributeur ou une source), non vérifié ; "
              f"verified : vérifié sur pièce ({document}) par la modération ou d'après un registre faisant foi ; "
              "vide : non déclaré", "str", constraints={"enum": [s.value for s in reserved_status.State]}, width=12),
        *kinds,
        Field(f"{flag}_autorite", f"{title} : source de la vérification",
              "Qui a délivré le document vérifié (statut vérifié seulement)", width=20),
        Field(f"{flag}_numero", f"{title} : {number}", f"Numéro du document vérifié ({document})", "code", width=18),
        Field(f"{flag}_date_document", f"{title} : date du document", "Date du document vérifié", "date", width=12),
        Field(f"{flag}_date_verification", f"{title} : vérifié le", "Date de la vérification", "date", width=12),
        Field(f"{flag}_verifie_par", f"{title} : vérifié par",
              "moderation (la modération de Carto ESS Bretagne, sur pièce) ou import:<source> (import d'un "
              "registre faisant foi pour ce statut)", width=18),
    ]


FIELDS = (
    Field("id", "Identifiant", "Identifiant de la fiche dans Carto ESS Bretagne (stable)", "int", "id",
          {"required": True, "unique": True}, width=11, in_feature=False),  # the feature's own id
    Field("nom", "Nom", "Nom de la structure ou du lieu", "str", "name", {"required": True, "maxLength": 200},
          width=42),
    Field("activites", "Codes des activités", "Activités du site (codes de la nomenclature, séparés par « ; »)",
          "list", width=30),
    Field("activites_libelles", "Activités", "Libellés des activités, dans l'ordre des codes", "list", width=45,
          in_feature=False),
    Field("domaines", "Codes des domaines", "Domaines des activités (codes, séparés par « ; »)", "list", width=24),
    Field("domaines_libelles", "Domaines", "Libellés des domaines, dans l'ordre des codes", "list", width=30,
          in_feature=False),
    Field("description", "Description", "Présentation du site par la structure ou la source", "str",
          "description", width=60),
    Field("adresse", "Adresse", "Numéro et voie", "str", "street", width=32),
    _code("code_postal", "Code postal", "Code postal (5 chiffres)", "postcode", 11),
    _code("code_commune", "Code INSEE de la commune", "Code officiel géographique de la commune (INSEE)",
          "commune_code"),
    Field("commune", "Commune", "Nom de la commune", "str", "commune_name", width=24),
    _code("code_epci", "SIREN de l'EPCI", "SIREN de l'intercommunalité (EPCI) de la commune", "epci_code"),
    Field("epci", "EPCI", "Nom de l'intercommunalité", width=32, in_feature=False),
    _code("code_pays", "Code du pays", "Code du pays breton (territoire de projet)", "pays_code", 10),
    Field("pays", "Pays", "Nom du pays breton", width=26, in_feature=False),
    _code("code_departement", "Département", "Code du département", "dep_code"),
    Field("longitude", "Longitude", "Longitude en degrés décimaux (WGS 84)", "float", "lon",
          {"required": True, "minimum": -180, "maximum": 180}, width=11, in_feature=False),  # the geometry
    Field("latitude", "Latitude", "Latitude en degrés décimaux (WGS 84)", "float", "lat",
          {"required": True, "minimum": -90, "maximum": 90}, width=11, in_feature=False),
    Field("precision_position", "Précision de la position",
          "address : position de l'adresse ; street : position de la rue (ou du lieu-dit), le numéro n'étant pas "
          "localisé ; commune : centre de la commune, l'adresse n'étant pas localisée", "str", "position_precision",
          {"enum": [p.value for p in PositionPrecision]}, width=16),
    _code("siret", "SIRET", "SIRET de l'établissement (14 chiffres)", "siret", 16),
    Field("url_annuaire_entreprises", "Annuaire des entreprises",
          "Page de l'établissement sur l'Annuaire des entreprises", format="uri", width=40, in_feature=False),
    Field("forme_juridique", "Code de la forme juridique",
          "Forme juridique : " + ", ".join(f"{f.value} ({label})" for f, label in LEGAL_FORM_LABELS.items()),
          "str", "legal_form", {"enum": [f.value for f in LegalForm]}),
    Field("forme_juridique_libelle", "Forme juridique", "Libellé de la forme juridique", width=26, in_feature=False),
    Field("ess", "Structure de l'ESS", "Structure de l'économie sociale et solidaire (loi du 31 juillet 2014) ; "
          "non : artisan, commerce, collectivité…", "bool", "ess", width=12),
    Field("siae", "Structure d'insertion (SIAE)", "Structure d'insertion par l'activité économique", "bool", "siae"),
    Field("ea_esat", "Entreprise adaptée ou ESAT",
          "Entreprise adaptée ou établissement et service d'aide par le travail", "bool", "ea_esat"),
    Field("marches_reserves", "Marchés réservés",
          "Statuts ouvrant aux marchés réservés (SIAE : art. L2113-13, EA et ESAT : art. L2113-12 du code de la "
          "commande publique), chacun vérifié (source, numéro, date du document) ou déclaré, non vérifié", "list",
          width=40, in_feature=False),
    *_reserved("siae", "SIAE", reserved_status.KINDS["siae"].document, "n° de conventionnement"),
    *_reserved("ea_esat", "EA / ESAT", "EA : agrément ou contrat d'objectifs ; ESAT : autorisation ARS",
               "n° d'agrément ou FINESS"),
    Field("accueil_particuliers", "Accueille les particuliers", "Le site accueille les particuliers", "bool",
          "serves_individuals"),
    Field("accueil_professionnels", "Accueille les professionnels", "Le site accueille les professionnels", "bool",
          "serves_professionals"),
    Field("labels", "Réseaux et labels", "Réseaux et labels de la structure, séparés par « ; »", "list", "labels",
          width=30),
    Field("site_web", "Site web", "Adresse du site web", "str", "website", format="uri", width=32),
    Field("courriel", "Courriel", "Courriel de contact public de la structure", "str", "email", format="email",
          width=28),
    Field("telephone", "Téléphone", "Téléphone", "code", "phone", width=16),
    Field("horaires_osm", "Horaires (format OpenStreetMap)",
          "Horaires d'ouverture au format opening_hours d'OpenStreetMap", "str", "opening_hours", width=30),
    Field("horaires", "Horaires", "Horaires d'ouverture en toutes lettres", width=40, in_feature=False),
    Field("date_verification", "Vérifiée le", "Date de la dernière vérification des informations", "date",
          "verified_at", width=12),
    Field("date_maj", "Mise à jour le", "Date et heure (UTC) de la dernière modification de la fiche", "datetime",
          "updated_at", width=18),
    Field("version", "Version de la fiche", "Numéro de version de la fiche, augmenté à chaque modification", "int",
          "version", {"minimum": 1}, width=10, in_export=False),  # an edit counter, for those who write
    Field("statut", "Statut de la fiche", "published : publiée ; pending : en attente de modération ; refused : "
          "refusée ; archived : archivée", "str", "status", {"enum": [s.value for s in SiteStatus]},
          in_export=False),  # exports hold published sites only
    Field("source", "Source", "Source de la fiche (vide : contribution à Carto ESS Bretagne)", "str", "source"),
    Field("credit", "Crédit de la source", "Mention à citer en réutilisant une fiche de cette source", "str",
          "credit", width=36),
    Field("licence", "Licence de la fiche", "Licence sous laquelle la source publie la fiche", width=16,
          in_feature=False),
    Field("demo", "Donnée de démonstration", "Fiche fictive de démonstration", "bool", "is_demo"),
    Field("url", "Fiche en ligne", "Adresse de la fiche sur Carto ESS Bretagne", format="uri", width=36,
          in_feature=False),
)
DISTANCE = Field("distance_km", "Distance (km)", "Distance à vol d'oiseau au centre de la recherche, en km",
                 "float", constraints={"minimum": 0}, width=12)
BY_NAME = {f.name: f for f in (*FIELDS, DISTANCE)}
IN_EXPORT = tuple(f for f in FIELDS if f.in_export)
# Worked out from the taxonomy when a feature is put together (a deploy may change it): last.
FEATURE_ACTIVITIES, FEATURE_DOMAINS = "activites", "domaines"
# A feature's properties read from columns, in order, then those of the reserved statuses: what the
# write path stores with each site, from the columns of FEATURE_READ.
STORED = tuple(f for f in FIELDS if f.in_feature and f.attribute)
STORED_NAMES = tuple(f.name for f in STORED)
STORED_ATTRIBUTES = tuple(f.attribute for f in STORED)
FEATURE_READ = (*STORED_ATTRIBUTES, *reserved_status.COLUMNS)
# The fields published from columns; outputs work the others out.
FROM_COLUMNS = frozenset((*(f.name for f in FIELDS if f.attribute), *reserved_status.PUBLIC_NAMES))

_EXPORTED = tuple(f for f in IN_EXPORT if f.attribute)
_exported_values = attrgetter(*(f.attribute for f in _EXPORTED))
_RESERVED_READ = tuple(name for s in reserved_status.STATUSES.values() for name in (s.flag, s.column))
_reserved_values = attrgetter(*_RESERVED_READ)
_RESERVED_DATES = tuple(name for name in reserved_status.PUBLIC_NAMES if BY_NAME[name].kind == "date")


def _converted(fields) -> tuple[str, ...]:
    """The fields whose column values are not published as they are read (enums, dates): imports
    write hundreds of thousands of sites, so only these are converted."""
    return tuple(f.name for f in fields if f.kind in ("date", "datetime") or "enum" in f.constraints)


_EXPORT_CONVERTED, _FEATURE_CONVERTED = _converted(_EXPORTED), _converted(STORED)


def utc_second(value: datetime) -> datetime:
    """A stored time (naive UTC on SQLite, aware on PostgreSQL) as an aware UTC time to the second:
    Table Schema's datetime, the same on both backends."""
    value = value.replace(microsecond=0)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def typed(value):
    """A column value as it is published: an enum by its value, a time in UTC to the second."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return utc_second(value)
    return value


def json_value(value):
    """A published value as JSON: dates in ISO 8601, times in UTC with a « Z »."""
    value = typed(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_values(site) -> dict:
    """The exported fields published from columns, by public name, typed (``site``: a Site or a row record)."""
    values = dict(zip((f.name for f in _EXPORTED), _exported_values(site)))
    for name in _EXPORT_CONVERTED:
        values[name] = typed(values[name])
    values |= reserved_status.public_fields(dict(zip(_RESERVED_READ, _reserved_values(site))))
    for name in _RESERVED_DATES:
        values[name] = values[name] and date.fromisoformat(values[name])
    return values


def feature_properties(values) -> dict:
    """A feature's properties published from columns, as JSON values, from the values of ``FEATURE_READ``."""
    properties = dict(zip(STORED_NAMES, values))  # FEATURE_READ starts with the stored fields' attributes
    for name in _FEATURE_CONVERTED:
        properties[name] = _converted_value(properties[name])
    return properties | reserved_status.public_fields(dict(zip(_RESERVED_FEATURE_READ, _reserved_of(values))))


# A batch of the write path stores thousands of features whose converted values repeat (its time of
# writing, a few enums): each converted once. ``typed``: True and 1 are equal keys, not equal JSON.
_converted_value = lru_cache(maxsize=4096, typed=True)(json_value)
# The reserved statuses' part of FEATURE_READ: their flags (stored fields too) and proof columns.
_RESERVED_FEATURE_READ = tuple(dict.fromkeys(_RESERVED_READ))
_reserved_of = itemgetter(*(FEATURE_READ.index(name) for name in _RESERVED_FEATURE_READ))
