"""Exports of a search result or of the whole published dataset: CSV, XLSX, GeoJSON, GeoPackage.

One vocabulary: the columns are the public fields of a site (``carto.directory.public_fields``:
``nom``, ``code_commune``…, the properties of the API's features plus a few readable companions such
as ``activites_libelles``), published as a Table Schema (``carto.publish.table_schema``,
``/schema/sites.json``); people read the schema's French titles (XLSX headers). Fields read from
columns take the values the features publish; the others are worked out here (``DERIVED``). Only
public fields of sites are written: nothing about contributors ever reaches an export.

Credits and licences never sit in the table itself, where tools would take them for rows: they go
to the ``datapackage.json`` described beside each export, the XLSX "Crédits" sheet, the GeoJSON
foreign members and the GeoPackage metadata.

- CSV: header on line 1, UTF-8 with a BOM (Excel then reads accents right), CRLF, every field
  quoted. With ``;`` as separator (French spreadsheets, by double-click), decimals take a comma.
- XLSX: a "Sites" sheet (titles as bold frozen header row, filters, column widths; SIRET and codes
  as text, dates as dates) and a "Crédits" sheet.
- GeoJSON (RFC 7946): credits and licences as foreign members of the FeatureCollection.
- GeoPackage 1.2 (read without warning by GDAL 3.6 and QGIS LTR): a "sites" point layer with
  typed columns (days as OGR Date, moments as DateTime), written by batches, credits and licences
  in its metadata and in a "credits" table.

Spreadsheets run a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula: in CSV such text
cells get OWASP's ``'`` prefix, in XLSX they are written as strings, never formulas.
"""
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, select

from carto.core import licences as licence_rules, opening_hours
from carto.core.licences import Licence
from carto.directory import public_fields, reserved_status, sirene
from carto.directory.public_fields import Field
from carto.query import sourcing
from carto.storage.models import LEGAL_FORM_LABELS, LegalForm, Territory
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
Value = str | int | float | bool | date | datetime | None


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


def _activity_labels(ctx: _Context, row: Row) -> list[str] | None:
    return _list(ctx.activities[a][0] if a in ctx.activities else a for a in row.activities)


def _domains(ctx: _Context, row: Row) -> dict[str, str]:
    return dict(sorted(ctx.activities[a][1:] for a in row.activities if a in ctx.activities))


def _legal_form_label(ctx: _Context, row: Row) -> str | None:
    return LEGAL_FORM_LABELS[LegalForm(row.site.legal_form)] if row.site.legal_form else None


def _list_pattern(values: Iterable[str]) -> str:
    choice = "(" + "|".join(values) + ")"
    return f"^{choice}({LIST_SEPARATOR}{choice})*$"


# The exported fields that are not read from a column, by public name: how each is worked out.
DERIVED: dict[str, Callable[[_Context, Row], Value]] = {
    "activites": lambda c, r: _list(r.activities),
    "activites_libelles": _activity_labels,
    "domaines": lambda c, r: _list(_domains(c, r)),
    "domaines_libelles": lambda c, r: _list(_domains(c, r).values()),
    "epci": lambda c, r: c.names.get(("epci", r.site.epci_code or "")),
    "pays": lambda c, r: c.names.get(("pays", r.site.pays_code or "")),
    "url_annuaire_entreprises": lambda c, r: sirene.annuaire_url(r.site.siret) if r.site.siret else None,
    "forme_juridique_libelle": _legal_form_label,
    "marches_reserves": lambda c, r: reserved_status.labels(r.site) or None,
    "horaires": lambda c, r: _hours(r.site.opening_hours),
    "licence": lambda c, r: c.licence_of(r.site.source).id,
    "url": lambda c, r: f"{c.base_url}/sites/{r.site.id}",
    public_fields.DISTANCE.name: lambda c, r: r.distance_km,
}


def columns_for(results: Results | None = None) -> list[Field]:
    """The columns of an export: ``distance_km`` after the name when the search has a centre."""
    columns = list(public_fields.IN_EXPORT)
    if results is not None and results.criteria.centre:
        columns.insert(2, public_fields.DISTANCE)
    return columns


def _blank(value: Value) -> Value:
    """An empty text or list is a missing value (an empty cell, null), as the schema says."""
    return None if value == "" or value == [] else value


def row_values(ctx: _Context, columns: list[Field], row: Row) -> list[Value]:
    """A row's cells: columns read as the features publish them, the other fields worked out."""
    read = public_fields.export_values(row.site)
    return [_blank(read[f.name]) if f.name in read else DERIVED[f.name](ctx, row) for f in columns]


def activity_pattern(taxonomy: Taxonomy) -> str:
    return _list_pattern(taxonomy.activities)


def domain_pattern(taxonomy: Taxonomy) -> str:
    return _list_pattern(d.slug for d in taxonomy.domains)


@dataclass
class Table:
    """What every writer needs: columns, credit lines, licences, and the rows (read lazily, in order)."""
    columns: list[Field]
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
    rows = (row_values(ctx, columns, row) for row in sourcing.iter_rows(session, results, taxonomy=taxonomy))
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
               "date": public_fields.json_value,
               "datetime": public_fields.json_value,
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

def licence_members(t: Table) -> list[dict]:
    """The licences of the file as Data Package ``licenses`` (name, title, path)."""
    return [{"name": lic.id, "title": lic.title, **({"path": lic.url} if lic.url else {})} for lic in t.licences]


def geojson_chunks(t: Table, batch: int = 500) -> Iterator[str]:
    names = [c.name for c in t.columns]
    lists = [c.kind == "list" for c in t.columns]
    lon, lat = names.index("longitude"), names.index("latitude")
    head = {"type": "FeatureCollection", "name": "carto-ess-bretagne", "title": t.title,
            "licenses": licence_members(t), "credits": t.credits, "created": t.day.isoformat(),
            "numberMatched": t.total}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
    pieces = []
    for n, row in enumerate(t.rows):
        properties = {k: [] if v is None and is_list else public_fields.json_value(v)
                      for k, v, is_list in zip(names, row, lists)}
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

    def value(v, column: Field):
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

# Per kind, the NumPy type of a column (its OGR type): dates as OGR Date, times as DateTime (in UTC,
# as the columns' descriptions say), the others as they are; texts and lists as strings.
_GPKG_ARRAYS = {"int": "int64", "float": "float64", "bool": "bool", "date": "datetime64[D]",
                "datetime": "datetime64[ms]"}
# GeoPackage 1.2: GDAL 3.6 (Debian 12) and QGIS LTR warn that a 1.4 file « may only be partially supported ».
GPKG_VERSION = "1.2"
GPKG_BATCH = 10_000  # rows held in memory at once


def _gpkg_array(column: Field, values: list[Value]):
    import numpy as np

    if column.kind == "datetime":
        values = [v and v.replace(tzinfo=None) for v in values]
    elif column.kind == "list":
        values = [v and LIST_SEPARATOR.join(v) for v in values]
    return np.array(values, dtype=_GPKG_ARRAYS.get(column.kind, object))  # None: NaT, NaN, or null text


def _batches(rows: Iterable[list[Value]], size: int) -> Iterator[list[list[Value]]]:
    """The rows by lists of ``size``, and at least one list (an empty result still gets its typed table)."""
    batch, sent = [], False
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch, sent = [], True
    if batch or not sent:
        yield batch


def write_gpkg(t: Table, target: Path, batch: int = GPKG_BATCH) -> None:
    """A « sites » point layer written batch by batch (an export of the whole dataset in bounded
    memory), typed from the schema's kinds even when empty, and a « credits » table."""
    import pandas as pd
    import pyogrio
    import shapely
    from pyogrio.raw import write as write_layer

    names = [c.name for c in t.columns]
    lon, lat = names.index("longitude"), names.index("latitude")
    licence_text = " ; ".join(f"{lic.title} {lic.url or ''}".strip() for lic in t.licences)
    Path(target).unlink(missing_ok=True)
    for n, rows in enumerate(_batches(t.rows, batch)):
        cells = list(zip(*rows)) if rows else [()] * len(names)
        first = {} if n else {
            "dataset_options": {"VERSION": GPKG_VERSION},
            "layer_options": {"DESCRIPTION": f"{PUBLISHER} — {licence_text}",
                              "IDENTIFIER": f"{PUBLISHER} ({t.day.isoformat()})"},
            "dataset_metadata": {"TITLE": t.title, "LICENSE": licence_text, "CREATED": t.day.isoformat(),
                                 "CREDITS": "\n".join(t.credits)}}
        write_layer(target, shapely.to_wkb(shapely.points(cells[lon], cells[lat])) if rows else [],
                    [_gpkg_array(c, list(v)) for c, v in zip(t.columns, cells)], names, layer="sites",
                    driver="GPKG", geometry_type="Point", crs="EPSG:4326", append=bool(n), **first)
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
