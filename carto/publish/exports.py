"""Exports of a search result or of the whole published dataset: CSV, XLSX, GeoJSON, GeoPackage.

One vocabulary: the columns are the fields of the API's site properties (``name``, ``commune_code``…,
plus a few readable companions such as ``activity_labels``), described once in ``COLUMNS`` and
published as a Table Schema (``carto.publish.table_schema``, ``/schema/sites.json``); people read
the schema's French titles (XLSX headers). Only public fields of sites are written: nothing about
contributors ever reaches an export.

Credits and licences never sit in the table itself, where tools would take them for rows: they go
to the ``datapackage.json`` described beside each export, the XLSX "Crédits" sheet, the GeoJSON
foreign members and the GeoPackage metadata.

- CSV: header on line 1, UTF-8 with a BOM (Excel then reads accents right), CRLF, every field
  quoted. With ``;`` as separator (French spreadsheets, by double-click), decimals take a comma.
- XLSX: a "Sites" sheet (titles as bold frozen header row, filters, column widths; SIRET and codes
  as text, dates as dates) and a "Crédits" sheet.
- GeoJSON (RFC 7946): credits and licences as foreign members of the FeatureCollection.
- GeoPackage 1.2 (read without warning by GDAL 3.6 and QGIS LTR): a "sites" point layer with
  typed columns, credits and licences in its metadata and in a "credits" table.

Spreadsheets run a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula: in CSV such text
cells get OWASP's ``'`` prefix, in XLSX they are written as strings, never formulas.
"""
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, select

from carto.core import licences as licence_rules, opening_hours
from carto.core.licences import Licence
from carto.directory import reserved_status, sirene
from carto.query import sourcing
from carto.storage.models import LEGAL_FORM_LABELS, LegalForm, PositionPrecision, Territory
from carto.query.sourcing import Results, Row
from carto.storage import source_licences
from carto.core.taxonomy import Taxonomy

PUBLISHER = "Carto ESS Bretagne"
TERRITORY_CREDIT = "Territoires : INSEE Code officiel géographique, contours IGN Admin Express (Licence Ouverte)"
FORMATS = {  # format → (media type, file extension)
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
}
SEPARATORS = (",", ";")
LIST_SEPARATOR = " ; "  # between the values of a list in one cell
TRUE, FALSE = "oui", "non"  # booleans in CSV and XLSX cells
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: what makes a spreadsheet cell a formula
# Fixed patterns of the schema (codes are text: leading zeros, Corsica's 2A/2B).
PATTERNS = {"siret": r"^\d{14}$", "postcode": r"^\d{5}$", "commune_code": r"^(\d{5}|2[AB]\d{3})$",
            "epci_code": r"^\d{9}$", "dep_code": r"^(\d{2}|2[AB]|97\d)$"}

Value = str | int | float | bool | date | datetime | None


@dataclass(frozen=True)
class Column:
    name: str  # field name, as in the API's properties (ASCII, snake case)
    title: str  # French label (XLSX headers, the schema's title)
    description: str  # French, for the published schema
    width: int  # XLSX column width, in characters
    value: Callable[["_Context", Row], Value]
    # str | code (digits that are not numbers: SIRET, INSEE…) | list (of texts: a JSON list, or joined
    # by LIST_SEPARATOR in a cell) | int | float | bool | date | datetime
    kind: str = "str"
    constraints: dict = field(default_factory=dict)  # Table Schema constraints beyond the type
    format: str | None = None  # Table Schema format of a string: uri, email


@dataclass
class _Context:
    activities: dict[str, tuple[str, str, str]]  # activity → (its label, its domain's slug and label)
    names: dict[tuple[str, str], str]  # (level, code) → name of EPCI and pays
    base_url: str
    licence_of: Callable[[str | None], Licence]  # a row's source → its licence


@lru_cache(maxsize=4096)  # a dataset repeats a few hundred distinct opening hours
def _hours(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return LIST_SEPARATOR.join(opening_hours.to_french(value))
    except opening_hours.OpeningHoursError:
        return value  # an older or imported value we cannot word: give it as written


def _list(values: Iterable[str]) -> list[str] | None:
    return list(values) or None


def _activity_labels(ctx: _Context, row: Row) -> str | None:
    return _list(ctx.activities[a][0] if a in ctx.activities else a for a in row.activities)


def _domains(ctx: _Context, row: Row) -> dict[str, str]:
    return dict(sorted(ctx.activities[a][1:] for a in row.activities if a in ctx.activities))


def _updated(ctx: _Context, row: Row) -> datetime:
    stamp = row.site.updated_at.replace(microsecond=0)  # Table Schema's datetime: to the second, in UTC
    return stamp.replace(tzinfo=timezone.utc) if stamp.tzinfo is None else stamp.astimezone(timezone.utc)


def _proof_part(flag: str, part: str) -> Callable[["_Context", Row], Value]:
    """A part of the proof of a declared reserved status (None while it is only declared)."""
    column = reserved_status.STATUSES[flag].column

    def value(ctx: "_Context", row: Row) -> Value:
        proof = getattr(row.site, column) if getattr(row.site, flag) else None
        found = proof.get(part) if proof else None
        if found and part in ("document_date", "verified_at"):
            return date.fromisoformat(found)
        return reserved_status.public_verifier(found) if part == "verified_by" else found
    return value


def _reserved_state(flag: str) -> Callable[["_Context", Row], Value]:
    column = reserved_status.STATUSES[flag].column

    def value(ctx: "_Context", row: Row) -> Value:
        now = reserved_status.state(getattr(row.site, flag), getattr(row.site, column))
        return now.value if now else None
    return value


def _reserved_columns(flag: str, title: str, document: str, number: str) -> list["Column"]:
    """The columns of a reserved status (``reserved_status.PUBLIC_FIELDS``): declared or verified, and its proof."""
    status = reserved_status.STATUSES[flag]
    kinds = [] if len(status.kinds) == 1 else [Column(
        f"{flag}_kind", f"{title} : type vérifié", "Ce que le document vérifié établit : "
        + ", ".join(f"{k} ({reserved_status.KINDS[k].label})" for k in status.kinds), 10,
        _proof_part(flag, "kind"), "str", {"enum": list(status.kinds)})]
    return [
        Column(f"{flag}_status", f"{title} : statut",
               f"declared : déclaré (case cochée par la structure, un contributeur ou une source), non vérifié ; "
               f"verified : vérifié sur pièce ({document}) par la modération ou d'après un registre faisant foi ; "
               f"vide : non déclaré", 12, _reserved_state(flag), "str", {"enum": [s.value for s in reserved_status.State]}),
        *kinds,
        Column(f"{flag}_authority", f"{title} : source de la vérification",
               "Qui a délivré le document vérifié (statut vérifié seulement)", 20, _proof_part(flag, "authority")),
        Column(f"{flag}_number", f"{title} : {number}", f"Numéro du document vérifié ({document})", 18,
               _proof_part(flag, "number"), "code"),
        Column(f"{flag}_document_date", f"{title} : date du document", "Date du document vérifié", 12,
               _proof_part(flag, "document_date"), "date"),
        Column(f"{flag}_verified_at", f"{title} : vérifié le", "Date de la vérification", 12,
               _proof_part(flag, "verified_at"), "date"),
        Column(f"{flag}_verified_by", f"{title} : vérifié par",
               "moderation (la modération de Carto ESS Bretagne, sur pièce) ou import:<source> (import d'un "
               "registre faisant foi pour ce statut)", 18, _proof_part(flag, "verified_by")),
    ]


def _list_pattern(values: Iterable[str]) -> str:
    choice = "(" + "|".join(values) + ")"
    return f"^{choice}({LIST_SEPARATOR}{choice})*$"


COLUMNS = [
    Column("id", "Identifiant", "Identifiant de la fiche dans Carto ESS Bretagne (stable)", 11,
           lambda c, r: r.site.id, "int", {"required": True, "unique": True}),
    Column("name", "Nom", "Nom de la structure ou du lieu", 42, lambda c, r: r.site.name, "str",
           {"required": True, "maxLength": 200}),
    Column("activities", "Codes des activités", "Activités du site (codes de la nomenclature, séparés par « ; »)",
           30, lambda c, r: _list(r.activities), "list"),
    Column("activity_labels", "Activités", "Libellés des activités, dans l'ordre des codes", 45, _activity_labels, "list"),
    Column("domains", "Codes des domaines", "Domaines des activités (codes, séparés par « ; »)", 24,
           lambda c, r: _list(_domains(c, r)), "list"),
    Column("domain_labels", "Domaines", "Libellés des domaines, dans l'ordre des codes", 30,
           lambda c, r: _list(_domains(c, r).values()), "list"),
    Column("description", "Description", "Présentation du site par la structure ou la source", 60,
           lambda c, r: r.site.description or None),
    Column("street", "Adresse", "Numéro et voie", 32, lambda c, r: r.site.street or None),
    Column("postcode", "Code postal", "Code postal (5 chiffres)", 11, lambda c, r: r.site.postcode or None, "code",
           {"pattern": PATTERNS["postcode"]}),
    Column("commune_code", "Code INSEE de la commune", "Code officiel géographique de la commune (INSEE)", 12,
           lambda c, r: r.site.commune_code, "code", {"pattern": PATTERNS["commune_code"]}),
    Column("commune_name", "Commune", "Nom de la commune", 24, lambda c, r: r.site.commune_name or None),
    Column("epci_code", "SIREN de l'EPCI", "SIREN de l'intercommunalité (EPCI) de la commune", 12,
           lambda c, r: r.site.epci_code, "code", {"pattern": PATTERNS["epci_code"]}),
    Column("epci_name", "EPCI", "Nom de l'intercommunalité", 32, lambda c, r: c.names.get(("epci", r.site.epci_code or ""))),
    Column("pays_code", "Code du pays", "Code du pays breton (territoire de projet)", 10,
           lambda c, r: r.site.pays_code, "code"),
    Column("pays_name", "Pays", "Nom du pays breton", 26, lambda c, r: c.names.get(("pays", r.site.pays_code or ""))),
    Column("dep_code", "Département", "Code du département", 12, lambda c, r: r.site.dep_code, "code",
           {"pattern": PATTERNS["dep_code"]}),
    Column("lon", "Longitude", "Longitude en degrés décimaux (WGS 84)", 11, lambda c, r: r.site.lon, "float",
           {"required": True, "minimum": -180, "maximum": 180}),
    Column("lat", "Latitude", "Latitude en degrés décimaux (WGS 84)", 11, lambda c, r: r.site.lat, "float",
           {"required": True, "minimum": -90, "maximum": 90}),
    Column("position_precision", "Précision de la position",
           "address : position de l'adresse ; street : position de la rue (ou du lieu-dit), le numéro n'étant pas "
           "localisé ; commune : centre de la commune, l'adresse n'étant pas localisée", 16,
           lambda c, r: PositionPrecision(r.site.position_precision).value, "str",
           {"enum": [p.value for p in PositionPrecision]}),
    Column("siret", "SIRET", "SIRET de l'établissement (14 chiffres)", 16, lambda c, r: r.site.siret, "code",
           {"pattern": PATTERNS["siret"]}),
    Column("siret_url", "Annuaire des entreprises", "Page de l'établissement sur l'Annuaire des entreprises", 40,
           lambda c, r: sirene.annuaire_url(r.site.siret) if r.site.siret else None, format="uri"),
    Column("legal_form", "Code de la forme juridique",
           "Forme juridique : " + ", ".join(f"{f.value} ({label})" for f, label in LEGAL_FORM_LABELS.items()), 14,
           lambda c, r: LegalForm(r.site.legal_form).value if r.site.legal_form else None, "str",
           {"enum": [f.value for f in LegalForm]}),
    Column("legal_form_label", "Forme juridique", "Libellé de la forme juridique", 26,
           lambda c, r: LEGAL_FORM_LABELS[LegalForm(r.site.legal_form)] if r.site.legal_form else None),
    Column("ess", "Structure de l'ESS", "Structure de l'économie sociale et solidaire (loi du 31 juillet 2014)", 12,
           lambda c, r: r.site.ess, "bool"),
    Column("siae", "Structure d'insertion (SIAE)", "Structure d'insertion par l'activité économique", 14,
           lambda c, r: r.site.siae, "bool"),
    Column("ea_esat", "Entreprise adaptée ou ESAT", "Entreprise adaptée ou établissement et service d'aide par le travail",
           14, lambda c, r: r.site.ea_esat, "bool"),
    Column("reserved_text", "Marchés réservés",
           "Statuts ouvrant aux marchés réservés (SIAE : art. L2113-13, EA et ESAT : art. L2113-12 du code de la "
           "commande publique), chacun vérifié (source, numéro, date du document) ou déclaré, non vérifié", 40,
           lambda c, r: reserved_status.labels(r.site) or None, "list"),
    *_reserved_columns("siae", "SIAE", reserved_status.KINDS["siae"].document, "n° de conventionnement"),
    *_reserved_columns("ea_esat", "EA / ESAT", "EA : agrément ou contrat d'objectifs ; ESAT : autorisation ARS",
                       "n° d'agrément ou FINESS"),
    Column("serves_individuals", "Accueille les particuliers", "Le site accueille les particuliers", 14,
           lambda c, r: r.site.serves_individuals, "bool"),
    Column("serves_professionals", "Accueille les professionnels", "Le site accueille les professionnels", 14,
           lambda c, r: r.site.serves_professionals, "bool"),
    Column("labels", "Réseaux et labels", "Réseaux et labels de la structure, séparés par « ; »", 30,
           lambda c, r: _list(r.site.labels or []), "list"),
    Column("website", "Site web", "Adresse du site web", 32, lambda c, r: r.site.website, "str", format="uri"),
    Column("email", "Courriel", "Courriel de contact public de la structure", 28, lambda c, r: r.site.email,
           "str", format="email"),
    Column("phone", "Téléphone", "Téléphone", 16, lambda c, r: r.site.phone, "code"),
    Column("opening_hours", "Horaires (format OpenStreetMap)",
           "Horaires d'ouverture au format opening_hours d'OpenStreetMap", 30, lambda c, r: r.site.opening_hours or None),
    Column("opening_hours_text", "Horaires", "Horaires d'ouverture en toutes lettres", 40,
           lambda c, r: _hours(r.site.opening_hours)),
    Column("verified_at", "Vérifiée le", "Date de la dernière vérification des informations", 12,
           lambda c, r: r.site.verified_at, "date"),
    Column("updated_at", "Mise à jour le", "Date et heure (UTC) de la dernière modification de la fiche", 18,
           _updated, "datetime"),
    Column("source", "Source", "Source de la fiche (vide : contribution à Carto ESS Bretagne)", 14,
           lambda c, r: r.site.source),
    Column("credit", "Crédit de la source", "Mention à citer en réutilisant une fiche de cette source", 36,
           lambda c, r: r.site.credit),
    Column("licence", "Licence de la fiche", "Licence sous laquelle la source publie la fiche", 16,
           lambda c, r: c.licence_of(r.site.source).id),
    Column("is_demo", "Donnée de démonstration", "Fiche fictive de démonstration", 14, lambda c, r: r.site.is_demo, "bool"),
    Column("url", "Fiche en ligne", "Adresse de la fiche sur Carto ESS Bretagne", 36,
           lambda c, r: f"{c.base_url}/sites/{r.site.id}", "str", format="uri"),
]
DISTANCE = Column("distance_km", "Distance (km)", "Distance à vol d'oiseau au centre de la recherche, en km", 12,
                  lambda c, r: r.distance_km, "float", {"minimum": 0})


def columns_for(results: Results | None = None) -> list[Column]:
    """The columns of an export: ``distance_km`` after the name when the search has a centre."""
    if results is None or not results.criteria.centre:
        return list(COLUMNS)
    return [*COLUMNS[:2], DISTANCE, *COLUMNS[2:]]


def activity_pattern(taxonomy: Taxonomy) -> str:
    return _list_pattern(taxonomy.activities)


def domain_pattern(taxonomy: Taxonomy) -> str:
    return _list_pattern(d.slug for d in taxonomy.domains)


@dataclass
class Table:
    """What every writer needs: columns, credit lines, licences, and the rows (read lazily, in order)."""
    columns: list[Column]
    credits: list[str]
    rows: Iterable[list[Value]]
    total: int
    day: date
    licences: list[Licence]  # of the file as a whole (``carto.core.licences.of_file``)
    title: str = f"{PUBLISHER} — structures de l'économie sociale et solidaire en Bretagne"


def credit_lines(results: Results, taxonomy: Taxonomy, day: date, licences: set[Licence]) -> list[str]:
    selection = results.criteria.describe(taxonomy) or ["Toutes les fiches publiées"]
    return [
        f"{PUBLISHER} — structures de l'économie sociale et solidaire en Bretagne — export du {day:%d/%m/%Y}",
        licence_rules.statement(licences),
        f"Réutilisation en citant « {PUBLISHER} », la date de l'export et le crédit de la source de chaque fiche",
        *(f"Source de fiches : {credit}" for credit in results.credits),
        "Chaque fiche indique sa source, le crédit de sa source et sa licence (colonnes source, credit, licence)",
        TERRITORY_CREDIT,
        *(f"Sélection — {line}" for line in selection),
        f"{results.total} fiche{'s' if results.total > 1 else ''}",
    ]


def table(session: Session, taxonomy: Taxonomy, results: Results, base_url: str,
          day: date | None = None) -> Table:
    day = day or date.today()
    names = {(level, code): name for level, code, name in
             session.exec(select(Territory.level, Territory.code, Territory.name))}
    activities = {a.slug: (a.label, d.slug, d.label) for d in taxonomy.domains for a in d.activities}
    licence_of = source_licences.of_sources(session)
    ctx = _Context(activities, names, base_url.rstrip("/"), licence_of)
    columns = columns_for(results)
    rows = ([col.value(ctx, row) for col in columns]
            for row in sourcing.iter_rows(session, results, taxonomy=taxonomy))
    contained = {licence_of(s) for s in results.sources}
    return Table(columns, credit_lines(results, taxonomy, day, contained), rows, results.total, day,
                 licence_rules.of_file(contained))


def file_licences(session: Session, results: Results) -> list[Licence]:
    """The licences an export of ``results`` is published under."""
    licence_of = source_licences.of_sources(session)
    return licence_rules.of_file({licence_of(s) for s in results.sources})


def file_name(fmt: str, day: date) -> str:
    return f"carto-ess-bretagne-{day.isoformat()}.{FORMATS[fmt][1]}"


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula (it ignores leading spaces)."""
    return text.lstrip(" ").startswith(FORMULA_STARTS)


def neutralised(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet will run as a formula (OWASP: a leading ``'``)."""
    return "'" + text if formula_like(text) else text


# --- CSV ---------------------------------------------------------------------------------------

def _csv_converters(t: Table, decimal: str) -> list[Callable[[Value], str]]:
    """Per column, value → CSV text: « oui »/« non », ISO dates, ``decimal`` in numbers, text neutralised."""
    by_kind = {"bool": lambda v: TRUE if v else FALSE,
               "float": lambda v: repr(v).replace(".", decimal),
               "int": str,
               "date": date.isoformat,
               "datetime": _iso_datetime,
               "list": lambda v: neutralised(LIST_SEPARATOR.join(v))}
    return [(lambda convert: lambda v: "" if v is None else convert(v))(by_kind.get(c.kind, neutralised))
            for c in t.columns]


def csv_chunks(t: Table, sep: str = ",", batch: int = 500) -> Iterator[str]:
    """The CSV file as text pieces (for streaming): the BOM, the header line, then the rows."""
    if sep not in SEPARATORS:
        raise ValueError(f"séparateur « {sep} » non pris en charge (valeurs : , ou ;)")
    decimal = "," if sep == ";" else "."
    buffer = io.StringIO()
    buffer.write("\ufeff")
    rows = csv.writer(buffer, delimiter=sep, quoting=csv.QUOTE_ALL)
    rows.writerow([c.name for c in t.columns])
    converters = _csv_converters(t, decimal)
    for n, row in enumerate(t.rows, 1):
        rows.writerow([convert(v) for convert, v in zip(converters, row)])
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- GeoJSON -----------------------------------------------------------------------------------

def _iso_datetime(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _json_value(value: Value):
    if isinstance(value, datetime):
        return _iso_datetime(value)
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else value


def licence_members(t: Table) -> list[dict]:
    """The licences of the file as Data Package ``licenses`` (name, title, path)."""
    return [{"name": lic.id, "title": lic.title, **({"path": lic.url} if lic.url else {})} for lic in t.licences]


def geojson_chunks(t: Table, batch: int = 500) -> Iterator[str]:
    names = [c.name for c in t.columns]
    lists = [c.kind == "list" for c in t.columns]
    lon, lat = names.index("lon"), names.index("lat")
    head = {"type": "FeatureCollection", "name": "carto-ess-bretagne", "title": t.title,
            "licenses": licence_members(t), "credits": t.credits, "created": t.day.isoformat(),
            "numberMatched": t.total}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
    pieces = []
    for n, row in enumerate(t.rows):
        properties = {k: [] if v is None and is_list else _json_value(v) for k, v, is_list in zip(names, row, lists)}
        feature = {"type": "Feature", "id": row[0],
                   "geometry": {"type": "Point", "coordinates": [row[lon], row[lat]]}, "properties": properties}
        pieces.append(("," if n else "") + json.dumps(feature, ensure_ascii=False))
        if len(pieces) == batch:
            yield "".join(pieces)
            pieces = []
    yield "".join(pieces) + "]}"


# --- XLSX --------------------------------------------------------------------------------------

def write_xlsx(t: Table, target: Path | io.BytesIO) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)  # streams rows to disk: the whole dataset fits in little memory
    wb.properties.creator = PUBLISHER
    wb.properties.title = f"{PUBLISHER} — export du {t.day:%d/%m/%Y}"
    wb.properties.description = " ; ".join(f"{lic.title} {lic.url or ''}".strip() for lic in t.licences)
    sheet = wb.create_sheet("Sites")
    for i, column in enumerate(t.columns, 1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = "B2"  # header row and ids stay in view
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(t.columns))}{t.total + 1}"

    def cell(value, number_format: str | None = None, **style):
        c = WriteOnlyCell(sheet, value=value)
        if number_format:
            c.number_format = number_format
        for name, v in style.items():
            setattr(c, name, v)
        return c

    def text(value: str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XML cannot hold (a query's words)
        if not formula_like(value):
            return value  # plain values cost far less than cells
        c = cell(value)
        c.data_type = "s"  # openpyxl makes any text starting with « = » a formula: this one stays text
        return c

    # Only dates and codes need a format of their own.
    formats = {"date": "DD/MM/YYYY", "datetime": "DD/MM/YYYY HH:MM", "code": "@"}

    def value(v, column: Column):
        if v is None:
            return None
        if column.kind == "bool":
            return TRUE if v else FALSE
        if column.kind == "list":
            v = LIST_SEPARATOR.join(v)
        if column.kind == "datetime":
            v = v.replace(tzinfo=None)  # Excel has no time zones: UTC, as the title says
        if column.kind in formats:
            c = cell(v, formats[column.kind])
            if column.kind == "code":
                c.data_type = "s"
            return c
        return text(v) if isinstance(v, str) else v

    bold = Font(bold=True)
    sheet.append([cell(c.title, font=bold, alignment=Alignment(wrap_text=True, vertical="top"))
                  for c in t.columns])
    for row in t.rows:
        sheet.append([value(v, c) for v, c in zip(row, t.columns)])
    credits = wb.create_sheet("Crédits")
    credits.column_dimensions["A"].width = 120
    for line in t.credits:
        credits.append([text(line)])
    wb.save(target)


# --- GeoPackage --------------------------------------------------------------------------------

_GPKG_TYPES = {"int": "int64", "float": "float64", "bool": "bool", "date": "datetime64[ms]",
               "datetime": "datetime64[ms]"}
# GeoPackage 1.2: GDAL 3.6 (Debian 12) and QGIS LTR warn that a 1.4 file « may only be partially supported ».
GPKG_VERSION = "1.2"


def _gpkg_value(v: Value):
    if isinstance(v, list):
        return LIST_SEPARATOR.join(v)
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)  # UTC, as the column's description says
    return datetime(v.year, v.month, v.day) if isinstance(v, date) else v


def write_gpkg(t: Table, target: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    names = [c.name for c in t.columns]
    frame = pd.DataFrame([[_gpkg_value(v) for v in row] for row in t.rows], columns=names)
    # Typed columns even when a column is empty (or the whole result); dates as date-times (OGR
    # writes no plain date column from a data frame): QGIS filters and sorts them as dates.
    frame = frame.astype({c.name: _GPKG_TYPES.get(c.kind, "string") for c in t.columns})
    points = gpd.points_from_xy(frame["lon"], frame["lat"], crs="EPSG:4326")
    layer = gpd.GeoDataFrame(frame, geometry=points)
    licence_text = " ; ".join(f"{lic.title} {lic.url or ''}".strip() for lic in t.licences)
    Path(target).unlink(missing_ok=True)
    pyogrio.write_dataframe(
        layer, target, layer="sites", driver="GPKG", geometry_type="Point",
        dataset_options={"VERSION": GPKG_VERSION},
        layer_options={"DESCRIPTION": f"{PUBLISHER} — {licence_text}", "IDENTIFIER": f"{PUBLISHER} ({t.day.isoformat()})"},
        dataset_metadata={"TITLE": t.title, "LICENSE": licence_text, "CREATED": t.day.isoformat(),
                          "CREDITS": "\n".join(t.credits)})
    pyogrio.write_dataframe(pd.DataFrame({"ligne": t.credits}), target, layer="credits", driver="GPKG")


def write(t: Table, fmt: str, target: Path, sep: str = ",") -> None:
    """Write ``t`` to the file ``target`` in ``fmt`` (one of FORMATS)."""
    if fmt == "csv":
        with open(target, "w", encoding="utf-8", newline="") as f:
            f.writelines(csv_chunks(t, sep))
    elif fmt == "geojson":
        with open(target, "w", encoding="utf-8") as f:
            f.writelines(geojson_chunks(t))
    elif fmt == "xlsx":
        write_xlsx(t, target)
    elif fmt == "gpkg":
        write_gpkg(t, target)
    else:
        raise ValueError(f"format inconnu : « {fmt} » (valeurs : {', '.join(FORMATS)})")
