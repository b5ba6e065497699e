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
from typer.testing import CliRunner

from carto.directory import sites

from carto.publish import exports

from carto.query import sourcing
from carto.cli import app
from carto.storage.models import LegalForm, SiteStatus
from carto.core.settings import get_settings
from carto.directory.site_schema import SiteData
from tests.conftest import make_client

TRICKY_NAME = 'L\'Œuvre « Gaël » — réemploi, "meubles" #2'
LVAO_CREDIT = "ADEME — Longue vie aux objets (Licence Ouverte)"
HEADERS = ["Identifiant", "Nom", "Activités", "Domaines", "Codes des activités", "Description", "Adresse",
           "Code postal", "Commune", "Code INSEE de la commune", "EPCI", "SIREN de l'EPCI", "Pays", "Département",
           "Longitude", "Latitude", "Précision de la position", "SIRET", "Forme juridique",
           "Structure d'insertion (SIAE)", "Entreprise adaptée ou ESAT", "Accueille les particuliers",
           "Accueille les professionnels", "Réseaux et labels", "Site web", "Courriel", "Téléphone", "Horaires",
           "Vérifiée le", "Mise à jour le", "Source", "Crédit de la source", "Donnée de démonstration",
           "Fiche en ligne"]


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
        session.commit()
    with make_client(service) as client:
        yield client


def read_csv_module(raw: bytes, sep: str) -> list[list[str]]:
    text = raw.decode("utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if row and row[0] != "#"]


def credit_rows(raw: bytes, sep: str) -> list[str]:
    rows = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=sep)
    return [row[1] for row in rows if row and row[0] == "#"]


@pytest.mark.parametrize("sep", [",", ";"])
def test_csv_reads_the_same_with_the_csv_module_and_pandas_accents_intact(tricky, sep):
    response = tricky.get("/api/exports/sites.csv", params={"sep": sep, "territory": "Rennes"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="carto-ess-bretagne-')
    raw = response.content
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw  # Excel: BOM for UTF-8, CRLF rows
    rows = read_csv_module(raw, sep)
    frame = pandas.read_csv(io.BytesIO(raw), sep=sep, comment="#", dtype=str, keep_default_na=False,
                            encoding="utf-8-sig")
    assert rows[0] == list(frame.columns) == HEADERS
    assert rows[1:] == frame.values.tolist()
    tricky_row = dict(zip(rows[0], rows[1]))
    assert tricky_row["Nom"] == TRICKY_NAME
    assert tricky_row["Description"] == "Meubles ; vaisselle, jouets\nDeuxième ligne : « œuvre » #solidaire"
    assert tricky_row["Activités"] == "Réemploi, recyclerie et ressourcerie ; Mobilier professionnel de seconde main"
    assert tricky_row["SIRET"] == "73282932000074" and tricky_row["Code INSEE de la commune"] == "35238"
    assert tricky_row["EPCI"] == "Rennes Métropole" and tricky_row["Pays"] == "Pays de Rennes"
    assert tricky_row["Structure d'insertion (SIAE)"] == "oui" and tricky_row["Vérifiée le"] == "2026-03-02"
    assert tricky_row["Longitude"] == ("-1.6778" if sep == "," else "-1,6778")  # French Excel wants , decimals
    assert [r[1] for r in rows[1:]] == [TRICKY_NAME, "Vélo-école"]  # published only, by name


def test_every_export_carries_licence_sources_selection_and_date(tricky):
    raw = tricky.get("/api/exports/sites.csv", params={"territory": "Rennes", "reserved": "siae"}).content
    credits = credit_rows(raw, ",")
    assert any("Licence Ouverte / Open Licence version 2.0 (Etalab)" in line for line in credits)
    assert f"Source de fiches : {LVAO_CREDIT}" in credits
    assert "Sélection — Territoire : Rennes (commune, 35)" in credits
    assert any("Structure d'insertion (SIAE)" in line for line in credits)
    assert any(f"export du {date.today():%d/%m/%Y}" in line for line in credits)
    assert credits[-1] == "1 fiche"


def test_csv_export_holds_exactly_the_rows_of_the_search_in_its_order(client):
    params = {"around": "Brest", "radius_km": "20", "activity": "velo,reemploi,textile"}
    page = client.get("/api/sourcing", params=params | {"limit": 1000}).json()
    rows = read_csv_module(client.get("/api/exports/sites.csv", params=params).content, ",")
    assert rows[0][:3] == ["Identifiant", "Nom", "Distance (km)"]
    assert [int(r[0]) for r in rows[1:]] == [f["id"] for f in page["features"]]
    assert [float(r[2]) for r in rows[1:]] == [f["properties"]["distance_km"] for f in page["features"]]


def test_xlsx_opens_with_openpyxl_with_a_header_row_widths_and_a_credits_sheet(tricky):
    response = tricky.get("/api/exports/sites.xlsx")
    assert response.headers["content-type"] == exports.FORMATS["xlsx"][0]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Sites", "Crédits"]
    sheet = book["Sites"]
    header = [c.value for c in sheet[1]]
    assert header == HEADERS and all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "B2" and sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(HEADERS)).column_letter}3"
    assert sheet.column_dimensions["B"].width == 42
    row = {h: c for h, c in zip(header, sheet[2])}
    assert row["Nom"].value == TRICKY_NAME
    assert row["SIRET"].value == "73282932000074" and row["SIRET"].number_format == "@"  # no 7,33E+13
    assert row["Vérifiée le"].value.date() == date(2026, 3, 2)
    assert row["Longitude"].value == pytest.approx(-1.6778)
    assert sheet.max_row == 3  # header + the two published sites
    credits = [r[0].value for r in book["Crédits"].iter_rows()]
    assert any("Licence Ouverte" in line for line in credits) and f"Source de fiches : {LVAO_CREDIT}" in credits


def test_geojson_is_rfc7946_with_licence_and_credits(tricky):
    data = json.loads(tricky.get("/api/exports/sites.geojson").content)
    assert data["type"] == "FeatureCollection" and data["numberMatched"] == 2
    assert data["licence"] == exports.LICENCE and LVAO_CREDIT in " ".join(data["credits"])
    feature = data["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [-1.6778, 48.1173]}
    assert feature["properties"]["nom"] == TRICKY_NAME and feature["properties"]["siae"] is True
    assert feature["properties"]["verifie_le"] == "2026-03-02"


def test_geopackage_reads_back_with_geopandas(tricky, tmp_path):
    path = tmp_path / "sites.gpkg"
    path.write_bytes(tricky.get("/api/exports/sites.gpkg").content)
    layer = geopandas.read_file(path, layer="sites")
    assert layer.crs.to_epsg() == 4326 and len(layer) == 2
    assert list(layer["nom"]) == [TRICKY_NAME, "Vélo-école"]
    assert layer.geometry.iloc[0].x == pytest.approx(-1.6778) and bool(layer["siae"].iloc[0]) is True
    assert layer["siret"].iloc[0] == "73282932000074"
    credits = pyogrio.read_dataframe(path, layer="credits")["ligne"].tolist()
    assert any("Licence Ouverte" in line for line in credits)
    assert "Licence Ouverte" in pyogrio.read_info(path, layer="sites")["layer_metadata"]["DESCRIPTION"]


def test_an_empty_result_still_makes_valid_files(tricky, tmp_path):
    params = {"territory": "Pénestin"}
    assert read_csv_module(tricky.get("/api/exports/sites.csv", params=params).content, ",") == [HEADERS]
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
    assert wrong_sep.status_code == 422 and wrong_sep.json()["detail"][0]["loc"] == ["query", "sep"]
    unknown = client.get("/api/exports/sites.csv", params={"territory": "Atlantide"})
    assert unknown.status_code == 400 and unknown.json()["detail"][0]["loc"] == ["query", "territory"]


def test_exports_carry_only_public_fields_of_sites(demo_service):
    """The columns are an explicit list of public fields: nothing of a contributor can slip in."""
    assert [c.header for c in exports.COLUMNS] == HEADERS
    keys = {c.key for c in exports.COLUMNS}
    assert not keys & {"search_text", "source_key", "version", "status", "contributor", "author", "user"}


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
    assert [int(r[0]) for r in read_csv_module(out.read_bytes(), ";")[1:]] == expected.ids


def test_cli_export_says_what_is_wrong(monkeypatch, demo_service, tmp_path):
    db = demo_service.settings.database_url.removeprefix("sqlite:///")
    assert "« pdf » inconnu" in run_cli(monkeypatch, db, tmp_path / "x.pdf").output
    ambiguous = run_cli(monkeypatch, db, tmp_path / "x.csv", "--territory", "Plouhinec")
    assert ambiguous.exit_code == 1 and "--zone commune:29197" in ambiguous.output
