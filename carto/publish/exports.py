"""Exports of a search result or of the whole published dataset: CSV, XLSX, GeoJSON, GeoPackage.

Every export carries its credit lines — who publishes, the licence (our own data: Licence Ouverte
Etalab 2.0), the credit line of each source the rows come from, the territories' sources, the
selection and the date — and has French column headers. Only public fields of sites are written:
nothing about contributors ever reaches an export.

- CSV: UTF-8 with a BOM (Excel then reads accents right), CRLF, every field quoted. Credit lines
  come first, each starting with a bare ``#`` cell, so ``pandas.read_csv(f, comment="#")`` reads
  the table as is. With ``;`` as separator (French Excel), decimals take a comma.
- XLSX: a "Sites" sheet (bold frozen header row, filters, column widths; SIRET and codes as text,
  dates as dates) and a "Crédits" sheet.
- GeoJSON (RFC 7946): credits as foreign members of the FeatureCollection.
- GeoPackage: a "sites" point layer (its description holds the licence) and a "credits" table.
"""
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, select

from carto.core import opening_hours

from carto.query import sourcing
from carto.storage.models import LEGAL_FORM_LABELS, PositionPrecision, Territory
from carto.query.sourcing import Results, Row
from carto.core.taxonomy import Taxonomy

PUBLISHER = "Carto ESS Bretagne"
LICENCE = "Licence Ouverte / Open Licence version 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
TERRITORY_CREDIT = "Territoires : INSEE Code officiel géographique, contours IGN Admin Express (Licence Ouverte)"
FORMATS = {  # format → (media type, file extension)
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
}
SEPARATORS = (",", ";")
PRECISION_LABELS = {PositionPrecision.address: "adresse", PositionPrecision.commune: "centre de la commune"}

Value = str | int | float | bool | date | None


@dataclass(frozen=True)
class Column:
    key: str  # property name in GeoJSON and GeoPackage (ASCII, snake case)
    header: str  # French header in CSV and XLSX
    width: int  # XLSX column width, in characters
    value: Callable[["_Context", Row], Value]
    kind: str = "str"  # str | code (digits that are not numbers: SIRET, INSEE…) | int | float | bool | date


@dataclass
class _Context:
    activities: dict[str, tuple[str, str, str]]  # activity → (its label, its domain's slug and label)
    names: dict[tuple[str, str], str]  # (level, code) → name of EPCI and pays
    base_url: str


@lru_cache(maxsize=4096)  # a dataset repeats a few hundred distinct opening hours
def _hours(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return " ; ".join(opening_hours.to_french(value))
    except opening_hours.OpeningHoursError:
        return value  # an older or imported value we cannot word: give it as written


def _activity_labels(ctx: _Context, row: Row) -> str:
    return " ; ".join(ctx.activities[a][0] if a in ctx.activities else a for a in row.activities)


def _domain_labels(ctx: _Context, row: Row) -> str:
    domains = dict(ctx.activities[a][1:] for a in row.activities if a in ctx.activities)
    return " ; ".join(label for _, label in sorted(domains.items()))


COLUMNS = [
    Column("id", "Identifiant", 11, lambda c, r: r.site.id, "int"),
    Column("nom", "Nom", 42, lambda c, r: r.site.name),
    Column("activites", "Activités", 45, _activity_labels),
    Column("domaines", "Domaines", 30, _domain_labels),
    Column("code_activites", "Codes des activités", 30, lambda c, r: " ; ".join(r.activities)),
    Column("description", "Description", 60, lambda c, r: r.site.description or None),
    Column("adresse", "Adresse", 32, lambda c, r: r.site.street or None),
    Column("code_postal", "Code postal", 11, lambda c, r: r.site.postcode or None, "code"),
    Column("commune", "Commune", 24, lambda c, r: r.site.commune_name or None),
    Column("code_insee", "Code INSEE de la commune", 12, lambda c, r: r.site.commune_code, "code"),
    Column("epci", "EPCI", 32, lambda c, r: c.names.get(("epci", r.site.epci_code or ""))),
    Column("code_epci", "SIREN de l'EPCI", 12, lambda c, r: r.site.epci_code, "code"),
    Column("pays", "Pays", 26, lambda c, r: c.names.get(("pays", r.site.pays_code or ""))),
    Column("departement", "Département", 12, lambda c, r: r.site.dep_code, "code"),
    Column("longitude", "Longitude", 11, lambda c, r: r.site.lon, "float"),
    Column("latitude", "Latitude", 11, lambda c, r: r.site.lat, "float"),
    Column("precision_position", "Précision de la position", 20,
           lambda c, r: PRECISION_LABELS.get(r.site.position_precision)),
    Column("siret", "SIRET", 16, lambda c, r: r.site.siret, "code"),
    Column("forme_juridique", "Forme juridique", 26,
           lambda c, r: LEGAL_FORM_LABELS[r.site.legal_form] if r.site.legal_form else None),
    Column("siae", "Structure d'insertion (SIAE)", 14, lambda c, r: r.site.siae, "bool"),
    Column("ea_esat", "Entreprise adaptée ou ESAT", 14, lambda c, r: r.site.ea_esat, "bool"),
    Column("public_particuliers", "Accueille les particuliers", 14, lambda c, r: r.site.serves_individuals, "bool"),
    Column("public_professionnels", "Accueille les professionnels", 14, lambda c, r: r.site.serves_professionals, "bool"),
    Column("reseaux_labels", "Réseaux et labels", 30, lambda c, r: " ; ".join(r.site.labels or []) or None),
    Column("site_web", "Site web", 32, lambda c, r: r.site.website),
    Column("courriel", "Courriel", 28, lambda c, r: r.site.email),
    Column("telephone", "Téléphone", 16, lambda c, r: r.site.phone, "code"),
    Column("horaires", "Horaires", 40, lambda c, r: _hours(r.site.opening_hours)),
    Column("verifie_le", "Vérifiée le", 12, lambda c, r: r.site.verified_at, "date"),
    Column("mis_a_jour_le", "Mise à jour le", 12, lambda c, r: r.site.updated_at.date(), "date"),
    Column("source", "Source", 14, lambda c, r: r.site.source),
    Column("credit", "Crédit de la source", 36, lambda c, r: r.site.credit),
    Column("demonstration", "Donnée de démonstration", 14, lambda c, r: r.site.is_demo, "bool"),
    Column("fiche", "Fiche en ligne", 36, lambda c, r: f"{c.base_url}/sites/{r.site.id}"),
]
DISTANCE = Column("distance_km", "Distance (km)", 12, lambda c, r: r.distance_km, "float")


@dataclass
class Table:
    """What every writer needs: columns, credit lines, and the rows (read lazily, in order)."""
    columns: list[Column]
    credits: list[str]
    rows: Iterable[list[Value]]
    total: int
    day: date


def credit_lines(results: Results, taxonomy: Taxonomy, day: date) -> list[str]:
    selection = results.criteria.describe(taxonomy) or ["Toutes les fiches publiées"]
    return [
        f"{PUBLISHER} — structures de l'économie sociale et solidaire en Bretagne — export du {day:%d/%m/%Y}",
        f"Licence des données de {PUBLISHER} : {LICENCE} — {LICENCE_URL}",
        f"Réutilisation libre en citant « {PUBLISHER} » et la date de l'export",
        *(f"Source de fiches : {credit}" for credit in results.credits),
        "Les fiches issues d'autres sources gardent le crédit de leur source (colonne « Crédit de la source »)",
        TERRITORY_CREDIT,
        *(f"Sélection — {line}" for line in selection),
        f"{results.total} fiche{'s' if results.total > 1 else ''}",
    ]


def table(session: Session, taxonomy: Taxonomy, results: Results, base_url: str,
          day: date | None = None) -> Table:
    day = day or date.today()
    names = {(level, code): nom for level, code, nom in
             session.exec(select(Territory.level, Territory.code, Territory.nom))}
    activities = {a.slug: (a.label, d.slug, d.label) for d in taxonomy.domains for a in d.activities}
    ctx = _Context(activities, names, base_url.rstrip("/"))
    columns = list(COLUMNS)
    if results.criteria.centre:
        columns.insert(2, DISTANCE)
    rows = ([col.value(ctx, row) for col in columns]
            for row in sourcing.iter_rows(session, results, taxonomy=taxonomy))
    return Table(columns, credit_lines(results, taxonomy, day), rows, results.total, day)


def file_name(fmt: str, day: date) -> str:
    return f"carto-ess-bretagne-{day.isoformat()}.{FORMATS[fmt][1]}"


# --- CSV ---------------------------------------------------------------------------------------

def _csv_converters(t: Table, decimal: str) -> list[Callable[[Value], str]]:
    """Per column, value → CSV text: « oui »/« non », ISO dates, ``decimal`` in numbers."""
    by_kind = {"bool": lambda v: "oui" if v else "non",
               "float": lambda v: repr(v).replace(".", decimal),
               "int": str,
               "date": date.isoformat}
    plain = str  # str and code
    return [(lambda convert: lambda v: "" if v is None else convert(v))(by_kind.get(c.kind, plain))
            for c in t.columns]


def csv_chunks(t: Table, sep: str = ",", batch: int = 500) -> Iterator[str]:
    """The CSV file as text pieces (for streaming); the first piece starts with the BOM."""
    if sep not in SEPARATORS:
        raise ValueError(f"séparateur « {sep} » non pris en charge (valeurs : , ou ;)")
    decimal = "," if sep == ";" else "."
    buffer = io.StringIO()
    buffer.write("\ufeff")
    comments = csv.writer(buffer, delimiter=sep)  # minimal quoting: the « # » stays a bare first cell
    for line in t.credits:
        comments.writerow(["#", line])
    rows = csv.writer(buffer, delimiter=sep, quoting=csv.QUOTE_ALL)
    rows.writerow([c.header for c in t.columns])
    converters = _csv_converters(t, decimal)
    for n, row in enumerate(t.rows, 1):
        rows.writerow([convert(v) for convert, v in zip(converters, row)])
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- GeoJSON -----------------------------------------------------------------------------------

def _json_value(value: Value):
    return value.isoformat() if isinstance(value, date) else value


def geojson_chunks(t: Table, batch: int = 500) -> Iterator[str]:
    keys = [c.key for c in t.columns]
    lon, lat = keys.index("longitude"), keys.index("latitude")
    head = {"type": "FeatureCollection", "name": "carto-ess-bretagne", "licence": LICENCE,
            "licence_url": LICENCE_URL, "credits": t.credits, "exported_on": t.day.isoformat(),
            "numberMatched": t.total}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
    pieces = []
    for n, row in enumerate(t.rows):
        feature = {"type": "Feature", "id": row[0],
                   "geometry": {"type": "Point", "coordinates": [row[lon], row[lat]]},
                   "properties": {k: _json_value(v) for k, v in zip(keys, row)}}
        pieces.append(("," if n else "") + json.dumps(feature, ensure_ascii=False))
        if len(pieces) == batch:
            yield "".join(pieces)
            pieces = []
    yield "".join(pieces) + "]}"


# --- XLSX --------------------------------------------------------------------------------------

def write_xlsx(t: Table, target: Path | io.BytesIO) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)  # streams rows to disk: the whole dataset fits in little memory
    wb.properties.creator = PUBLISHER
    wb.properties.title = f"{PUBLISHER} — export du {t.day:%d/%m/%Y}"
    wb.properties.description = f"{LICENCE} — {LICENCE_URL}"
    sheet = wb.create_sheet("Sites")
    for i, column in enumerate(t.columns, 1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = "B2"  # header row and names stay in view
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(t.columns))}{t.total + 1}"

    def cell(value, number_format: str | None = None, **style):
        c = WriteOnlyCell(sheet, value=value)
        if number_format:
            c.number_format = number_format
        for name, v in style.items():
            setattr(c, name, v)
        return c

    # Plain values cost far less than cells: only dates and codes need a format of their own.
    formats = {"date": "DD/MM/YYYY", "code": "@"}

    def value(v, column: Column):
        if v is None or column.kind not in formats:
            return ("oui" if v else "non") if column.kind == "bool" else v
        return cell(v, formats[column.kind])

    bold = Font(bold=True)
    sheet.append([cell(c.header, font=bold, alignment=Alignment(wrap_text=True, vertical="top"))
                  for c in t.columns])
    for row in t.rows:
        sheet.append([value(v, c) for v, c in zip(row, t.columns)])
    credits = wb.create_sheet("Crédits")
    credits.column_dimensions["A"].width = 120
    for line in t.credits:
        credits.append([line])
    wb.save(target)


# --- GeoPackage --------------------------------------------------------------------------------

_GPKG_TYPES = {"int": "int64", "float": "float64", "bool": "bool"}


def write_gpkg(t: Table, target: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    keys = [c.key for c in t.columns]
    frame = pd.DataFrame([[_json_value(v) for v in row] for row in t.rows], columns=keys)
    # Typed columns even when a column is empty (or the whole result): dates as ISO text.
    frame = frame.astype({c.key: _GPKG_TYPES.get(c.kind, "string") for c in t.columns})
    points = gpd.points_from_xy(frame["longitude"], frame["latitude"], crs="EPSG:4326")
    layer = gpd.GeoDataFrame(frame, geometry=points)
    Path(target).unlink(missing_ok=True)
    layer.to_file(target, layer="sites", driver="GPKG", engine="pyogrio", geometry_type="Point",
                  layer_options={"DESCRIPTION": f"{PUBLISHER} — {LICENCE} — {LICENCE_URL}",
                                 "IDENTIFIER": f"{PUBLISHER} ({t.day.isoformat()})"})
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

