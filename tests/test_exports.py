"""Exports of a search or of the whole dataset: CSV, XLSX, GeoJSON and GeoPackage, with licence and credits."""
import csv
import io
import json
from datetime import date

import geopandas
import openpyxl
import pandas
import pyogrio
import pytest
import re
import sqlite3
from typer.testing import CliRunner

from carto.directory import public_fields, sites

from carto.core import licences
from carto.storage import source_licences
from carto.publish import exports

from carto.query import sourcing
from carto.cli import app
from carto.storage.models import LegalForm, SiteStatus
from carto.core.settings import get_settings
from carto.directory.site_schema import SiteData
from carto.importers import run_import
from tests.helpers import DATA, found, make_client

TRICKY_NAME = 'L\'Œuvre « Gaël » — réemploi, "meubles" #2'
LVAO_CREDIT = "ADEME — Longue vie aux objets (Licence Ouverte)"
NAMES = [c.name for c in public_fields.IN_EXPORT]
TITLES = [c.title for c in public_fields.IN_EXPORT]


@pytest.fixture
def tricky(service):
    """Two sites in Rennes whose text trips naive CSV writers, one from another source, one pending."""
    with service.session() as session:
        sites.create(session, SiteData(
            name=TRICKY_NAME, activities=["reemploi", "mobilier-professionnel"], lon=-1.6778, lat=48.1173,
            description="Meubles ; vaisselle, jouets\nDeuxième ligne : « œuvre » #solidaire",
            street="12 bis, rue de l'Hôtel-Dieu", postcode="35000", siret="73282932000074",
            legal_form=LegalForm.association, siae=True, labels=["Emmaüs", "Le Rab"],
            opening_hours="Mo-Fr 09:00-12:00", verified_at=date(2026, 3, 2)),
            service.locator, actor="test", source="lvao", credit=LVAO_CREDIT)
        sites.create(session, SiteData(name="Vélo-école", activities=["velo"], lon=-1.70, lat=48.11),
                     service.locator, actor="test")
        hidden = sites.create(session, SiteData(name="Pas encore publié", activities=["velo"], lon=-1.69, lat=48.12),
                              service.locator, actor="test")
        sites.set_status(session, hidden, SiteStatus.pending, actor="test")
        source_licences.record(session, "lvao", licences.ETALAB)  # as the LVAO import does
        session.commit()
    with make_client(service) as client:
        yield client


def read_csv_module(raw: bytes, sep: str) -> list[list[str]]:
    """The file as the csv module reads it, as is: the header must be the first line."""
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=sep))


@pytest.mark.parametrize("sep", [",", ";"])
def test_csv_has_its_header_on_line_1_and_reads_the_same_with_the_csv_module_and_pandas(tricky, sep):
    response = tricky.get("/api/exports/sites.csv", params={"sep": sep, "territory": "Rennes"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="carto-ess-bretagne-')
    raw = response.content
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw  # Excel: BOM for UTF-8, CRLF rows
    rows = read_csv_module(raw, sep)
    frame = pandas.read_csv(io.BytesIO(raw), sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert rows[0] == list(frame.columns) == NAMES
    assert rows[1:] == frame.values.tolist()
    tricky_row = dict(zip(rows[0], rows[1]))
    assert tricky_row["nom"] == TRICKY_NAME
    assert tricky_row["description"] == "Meubles ; vaisselle, jouets\nDeuxième ligne : « œuvre » #solidaire"
    assert tricky_row["activites_libelles"] == "Réemploi, recyclerie et ressourcerie ; Mobilier professionnel de seconde main"
    assert tricky_row["activites"] == "reemploi ; mobilier-professionnel"
    assert tricky_row["siret"] == "73282932000074" and tricky_row["code_commune"] == "35238"
    assert tricky_row["epci"] == "Rennes Métropole" and tricky_row["pays"] == "Pays de Rennes"
    assert tricky_row["siae"] == "oui" and tricky_row["date_verification"] == "2026-03-02"
    assert tricky_row["horaires_osm"] == "Mo-Fr 09:00-12:00"  # the OSM value, beside its wording
    assert tricky_row["horaires"].startswith("Du lundi au vendredi")
    assert tricky_row["longitude"] == ("-1.6778" if sep == "," else "-1,6778")  # French spreadsheets want , decimals
    assert [r[1] for r in rows[1:]] == [TRICKY_NAME, "Vélo-école"]  # published only, by name


def test_every_export_is_described_by_a_datapackage_with_licences_sources_selection_and_date(tricky):
    params = {"territory": "Rennes", "reserved": "siae"}
    response = tricky.get("/api/exports/sites.csv", params=params)
    links = response.headers["link"]
    assert '/api/exports/datapackage.json?territory=Rennes&reserved=siae>; rel="describedby"' in links
    assert '/schema/sites.json>; rel="describedby"' in links
    assert f'<{licences.ETALAB.url}>; rel="license"' in links
    package = tricky.get("/api/exports/datapackage.json", params=params).json()
    credits = package["description"].split("\n")
    assert any("Licence Ouverte / Open Licence version 2.0 (Etalab)" in line for line in credits)
    assert f"Source de fiches : {LVAO_CREDIT}" in credits
    assert "Sélection — Territoire : Rennes (commune, 35)" in credits
    assert any("Structure d'insertion (SIAE)" in line for line in credits)
    assert package["created"].startswith(date.today().isoformat()) and credits[-1] == "1 fiche"
    assert package["licenses"] == [{"name": "etalab-2.0", "title": licences.ETALAB.title, "path": licences.ETALAB.url}]
    resource = package["resources"][0]
    assert resource["path"].endswith("/api/exports/sites.csv?territory=Rennes&reserved=siae")
    assert [f["name"] for f in resource["schema"]["fields"]] == NAMES


def test_the_published_schema_names_every_column_with_french_titles_types_and_patterns(client):
    schema = client.get("/schema/sites.json").json()
    fields = {f["name"]: f for f in schema["fields"]}
    assert list(fields) == NAMES and [f["title"] for f in schema["fields"]] == TITLES
    assert all(f["description"] for f in schema["fields"])
    assert fields["siret"]["constraints"]["pattern"] == r"^\d{14}$"
    assert fields["code_commune"]["constraints"]["pattern"] == r"^(\d{5}|2[AB]\d{3})$"
    assert fields["ess"]["type"] == "boolean" and fields["date_verification"]["type"] == "date"
    assert fields["site_web"]["format"] == "uri" and fields["longitude"]["type"] == "number"
    assert re.fullmatch(fields["activites"]["constraints"]["pattern"], "reemploi ; velo")
    assert not re.fullmatch(fields["activites"]["constraints"]["pattern"], "reemploi ; teleportation")


def test_the_api_and_the_exports_speak_one_vocabulary(tricky):
    """Every public property of a site in the API is a column of the exports, under the same name."""
    feature = tricky.get("/api/sites", params={"commune": "35238"}).json()["features"][0]
    exported = json.loads(tricky.get("/api/exports/sites.geojson", params={"territory": "Rennes"}).content)
    properties = exported["features"][0]["properties"]
    same = set(feature["properties"]) - {"statut", "version"}  # always « published »; an edit counter
    assert same <= set(properties), same - set(properties)
    def comparable(value):  # lists: the exports give activities in the taxonomy's order
        return sorted(value) if isinstance(value, list) else value

    for name in same:
        assert comparable(properties[name]) == comparable(feature["properties"][name]), name


def test_every_exported_field_is_read_from_a_column_or_worked_out_in_one_place():
    worked_out = {f.name for f in (*public_fields.IN_EXPORT, public_fields.DISTANCE)} - public_fields.FROM_COLUMNS
    assert worked_out == set(exports.DERIVED)


def test_xlsx_opens_with_openpyxl_with_titles_widths_and_a_credits_sheet(tricky):
    response = tricky.get("/api/exports/sites.xlsx")
    assert response.headers["content-type"] == exports.FORMATS["xlsx"][0]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Sites", "Crédits"]
    sheet = book["Sites"]
    header = [c.value for c in sheet[1]]
    assert header == TITLES and all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(TITLES)).column_letter}3"
    assert sheet.column_dimensions["B"].width == 42
    row = {name: c for name, c in zip(NAMES, sheet[2])}
    assert row["nom"].value == TRICKY_NAME
    assert row["siret"].value == "73282932000074" and row["siret"].number_format == "@"  # no 7,33E+13
    assert row["date_verification"].value.date() == date(2026, 3, 2)
    assert row["longitude"].value == pytest.approx(-1.6778)
    assert sheet.max_row == 3  # header + the two published sites
    credits = [r[0].value for r in book["Crédits"].iter_rows()]
    assert any("Licence Ouverte" in line for line in credits) and f"Source de fiches : {LVAO_CREDIT}" in credits


def test_geojson_is_rfc7946_with_licence_and_credits(tricky):
    data = json.loads(tricky.get("/api/exports/sites.geojson").content)
    assert data["type"] == "FeatureCollection" and data["numberMatched"] == 2
    assert data["licenses"][0]["name"] == "etalab-2.0" and LVAO_CREDIT in " ".join(data["credits"])
    feature = data["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [-1.6778, 48.1173]}
    assert feature["properties"]["nom"] == TRICKY_NAME and feature["properties"]["siae"] is True
    assert feature["properties"]["date_verification"] == "2026-03-02"
    assert feature["properties"]["activites"] == ["reemploi", "mobilier-professionnel"]


def test_geopackage_reads_back_with_typed_date_columns_and_licence_metadata(tricky, tmp_path):
    path = tmp_path / "sites.gpkg"
    path.write_bytes(tricky.get("/api/exports/sites.gpkg").content)
    layer = geopandas.read_file(path, layer="sites")
    assert layer.crs.to_epsg() == 4326 and len(layer) == 2
    assert list(layer["nom"]) == [TRICKY_NAME, "Vélo-école"]
    assert layer.geometry.iloc[0].x == pytest.approx(-1.6778) and bool(layer["siae"].iloc[0]) is True
    assert layer["siret"].iloc[0] == "73282932000074"
    info = pyogrio.read_info(path, layer="sites")
    types = dict(zip(info["fields"], info["ogr_types"]))
    assert (types["date_verification"], types["date_maj"]) == ("OFTDate", "OFTDateTime")  # a day; a moment
    assert layer["date_verification"].iloc[0].date() == date(2026, 3, 2)
    assert "Licence Ouverte" in info["layer_metadata"]["DESCRIPTION"]
    assert "Licence Ouverte" in info["dataset_metadata"]["LICENSE"]
    credits = pyogrio.read_dataframe(path, layer="credits")["ligne"].tolist()
    assert any("Licence Ouverte" in line for line in credits)
    with sqlite3.connect(path) as db:  # GeoPackage 1.2: no « partially supported » warning in GDAL 3.6
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200


def test_an_empty_result_still_makes_valid_files(tricky, tmp_path):
    params = {"territory": "Pénestin"}
    assert read_csv_module(tricky.get("/api/exports/sites.csv", params=params).content, ",") == [NAMES]
    path = tmp_path / "empty.gpkg"
    path.write_bytes(tricky.get("/api/exports/sites.gpkg", params=params).content)
    assert len(geopandas.read_file(path, layer="sites")) == 0
    assert json.loads(tricky.get("/api/exports/sites.geojson", params=params).content)["features"] == []


def test_the_full_dataset_export_has_every_published_site(client):
    data = json.loads(client.get("/api/exports/sites.geojson").content)
    assert data["numberMatched"] == len(data["features"]) == 500
    assert data["credits"][0].startswith("Carto ESS Bretagne")
    assert "Source de fiches : Données fictives de démonstration" in data["credits"]


def test_bad_export_requests_get_a_4xx_naming_the_parameter(client):
    assert client.get("/api/exports/sites.pdf").status_code == 422
    wrong_sep = client.get("/api/exports/sites.csv", params={"sep": "|"})
    assert wrong_sep.status_code == 422 and wrong_sep.json()["errors"][0]["loc"] == ["query", "sep"]
    unknown = client.get("/api/exports/sites.csv", params={"territory": "Atlantide"})
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["loc"] == ["query", "territory"]


def test_exports_carry_only_public_fields_of_sites(demo_service):
    """The columns are an explicit list of public fields: nothing of a contributor can slip in."""
    assert not set(NAMES) & {"search_text", "source_key", "version", "status", "contributor", "author", "user"}


# --- Command line ------------------------------------------------------------------------------

def run_cli(monkeypatch, db, *args):
    monkeypatch.setenv("CARTO_DATABASE_URL", db if "://" in db else f"sqlite:///{db}")  # file or URL
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["export", *map(str, args)])
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("fmt", list(exports.FORMATS))
def test_cli_exports_the_whole_dataset_in_every_format(monkeypatch, demo_service, tmp_path, fmt):
    db = demo_service.settings.database_url.removeprefix("sqlite:///")
    out = tmp_path / f"sites.{fmt}"
    result = run_cli(monkeypatch, db, out)
    assert result.exit_code == 0, result.output
    assert f"500 sites exportés dans {out} ({fmt})" in result.output
    if fmt in ("geojson", "gpkg"):
        assert len(geopandas.read_file(out, layer="sites" if fmt == "gpkg" else None)) == 500
    elif fmt == "xlsx":
        assert openpyxl.load_workbook(out)["Sites"].max_row == 501
    else:
        assert len(read_csv_module(out.read_bytes(), ",")) == 501


def test_cli_export_takes_the_search_filters(monkeypatch, demo_service, tmp_path):
    db = demo_service.settings.database_url.removeprefix("sqlite:///")
    out = tmp_path / "rennes.csv"
    result = run_cli(monkeypatch, db, out, "--territory", "Rennes Métropole", "--reserved", "siae",
                     "--separator", ";", "--format", "csv")
    assert result.exit_code == 0, result.output
    with demo_service.session() as session:
        expected = sourcing.run(session, sourcing.parse(demo_service, session, zone="epci:243500139", reserved="siae"))
        ids = list(found(session, expected))
    assert [int(r[0]) for r in read_csv_module(out.read_bytes(), ";")[1:]] == ids


def test_cli_export_says_what_is_wrong(monkeypatch, demo_service, tmp_path):
    db = demo_service.settings.database_url.removeprefix("sqlite:///")
    assert "« pdf » inconnu" in run_cli(monkeypatch, db, tmp_path / "x.pdf").output
    ambiguous = run_cli(monkeypatch, db, tmp_path / "x.csv", "--territory", "Plouhinec")
    assert ambiguous.exit_code == 1 and "--zone commune:29197" in ambiguous.output


def test_odbl_records_make_the_export_odbl_and_are_never_relabelled(tricky, service):
    """Share-alike: a file holding Carteco's ODbL records is published under ODbL as a whole."""
    report = run_import(service, DATA / "gogocarto_elements.json", "gogocarto", mapping=DATA / "gogocarto_mapping.yaml")
    assert report.created == 2
    odbl_only = tricky.get("/api/exports/datapackage.json", params={"territory": "Quimper"}).json()
    assert [lic["name"] for lic in odbl_only["licenses"]] == ["ODbL-1.0"]
    mixed = tricky.get("/api/exports/sites.csv")
    assert f'<{licences.ODBL.url}>; rel="license"' in mixed.headers["link"]
    assert f'<{licences.ETALAB.url}>; rel="license"' not in mixed.headers["link"]
    rows = list(csv.DictReader(io.StringIO(mixed.content.decode("utf-8-sig"))))
    assert {r["source"]: r["licence"] for r in rows} == {"carteco": "ODbL-1.0", "lvao": "etalab-2.0", "": "etalab-2.0"}
    data = json.loads(tricky.get("/api/exports/sites.geojson").content)
    assert [lic["name"] for lic in data["licenses"]] == ["ODbL-1.0"]
    assert any("partage à l'identique" in line for line in data["credits"])
