"""Generic CSV and GeoJSON imports with a mapping file, and GoGoCarto's elements.json export."""
import io
import json

import pytest

from carto.core import licences
from carto.importers import ImportFileError, csv_generic, geojson, mapping, run_import
from carto.importers.records import Record
from carto.storage import source_licences
from carto.storage.models import PositionPrecision, SiteStatus
from carto.core.taxonomy import load
from tests.helpers import DATA, activities, site


def import_file(service, name: str, fmt: str, mapping_name: str, **options):
    return run_import(service, DATA / name, fmt, mapping=DATA / mapping_name, **options)


def test_a_csv_with_its_column_mapping(service):
    report = import_file(service, "reemploi_materiaux.csv", "csv", "reemploi_materiaux_mapping.yaml")
    assert (report.source, report.created) == ("reemploi-materiaux", 3)
    assert {s.position: s.reason for s in report.skipped} == {5: "activite", 6: "siret", 7: "territoire"}
    with service.session() as session:
        brest = site(session, "M1", "reemploi-materiaux")
        assert (brest.name, brest.commune_code, brest.lon) == ("Matériauthèque du Pays de Brest", "29019", -4.4861)
        assert brest.website == "https://www.materiautheque-brest.fr"  # the scheme a spreadsheet dropped
        assert (brest.siret, brest.siae, brest.ess, brest.serves_professionals) == ("83284597800028", True, True, True)
        assert brest.labels == ["Réseau du réemploi"]
        assert brest.credit == "Réseau du réemploi des matériaux du bâtiment en Bretagne"
        assert activities(session, "M2", "reemploi-materiaux") == ["materiaux-batiment", "reemploi"]
        carhaix = site(session, "M3", "reemploi-materiaux")  # category written in lower case, no point
        assert (carhaix.commune_code, carhaix.position_precision) == ("29024", PositionPrecision.commune)


def test_a_geojson_with_its_property_mapping(service):
    report = import_file(service, "velo_ateliers.geojson", "geojson", "velo_ateliers_mapping.yaml")
    assert (report.source, report.created, report.unit) == ("mobin", 3, "élément")
    assert [(s.position, s.reason, s.detail) for s in report.skipped] == [(4, "activite", "location")]
    assert report.warnings[0][0] == 2 and "horaires" in report.warnings[0][1]
    with service.session() as session:
        assert activities(session, "v-1", "mobin") == ["reparation", "velo"]
        rennes = site(session, "v-1", "mobin")
        assert (rennes.commune_code, rennes.opening_hours, rennes.ess) == ("35238", "Mo-Fr 14:00-19:00", True)
        assert rennes.labels == ["Mob'In Bretagne"] and rennes.credit == "Mob'In Bretagne"
        assert site(session, "v-2", "mobin").commune_code == "29024"  # a polygon: a point inside it
        brest = site(session, "v-3", "mobin")  # no geometry: the commune's centre
        assert (brest.commune_code, brest.position_precision) == ("29019", PositionPrecision.commune)


def test_a_gogocarto_export_migrates_published_and_pending_elements(service):
    report = import_file(service, "gogocarto_elements.json", "gogocarto", "gogocarto_mapping.yaml")
    assert (report.source, report.created) == ("carteco", 2)
    assert [(s.position, s.reason) for s in report.skipped] == [(3, "exclu"), (4, "activite")]
    with service.session() as session:
        odet = site(session, "a1B2", "carteco")
        assert (odet.name, odet.commune_code, odet.street, odet.postcode) == (
            "Recyclerie de l'Odet", "29232", "3 allée du Cap", "29000")
        assert odet.opening_hours == "We 10:00-12:00,14:00-18:00; Sa 10:00-18:00"
        assert (odet.phone, odet.email, odet.status) == ("02 98 00 00 00", None, SiteStatus.published)
        assert activities(session, "a1B2", "carteco") == ["reemploi"]
        tregor = site(session, "c3D4", "carteco")
        assert (tregor.status, tregor.commune_code) == (SiteStatus.pending, "22113")  # awaiting moderation
    assert import_file(service, "gogocarto_elements.json", "gogocarto", "gogocarto_mapping.yaml").unchanged == 2


def test_a_bare_list_of_elements_is_read_too(service, tmp_path):
    elements = json.loads((DATA / "gogocarto_elements.json").read_text(encoding="utf-8"))["data"]
    path = tmp_path / "elements.json"
    path.write_text(json.dumps(elements), encoding="utf-8")
    assert run_import(service, path, "gogocarto", mapping=DATA / "gogocarto_mapping.yaml").created == 2


@pytest.mark.parametrize("text, message", [
    ("fields:\n  nom: Nom\n", "champ inconnu : nom"),
    ("activities:\n  values:\n    Recyclerie: [ressourcerie]\n", "activité inconnue : « ressourcerie »"),
    ("clef: id\n", "clé inconnue : clef"),
])
def test_a_wrong_mapping_file_is_refused_with_the_reason(service, tmp_path, text, message):
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFileError, match=message):
        run_import(service, DATA / "reemploi_materiaux.csv", "csv", mapping=path)


def test_generic_formats_need_a_mapping_and_its_columns(service, tmp_path):
    with pytest.raises(ImportFileError, match="--mapping"):
        run_import(service, DATA / "reemploi_materiaux.csv", "csv")
    path = tmp_path / "mapping.yaml"
    path.write_text("key: Identifiant\nfields:\n  name: Raison sociale\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="colonnes absentes du fichier : Raison sociale"):
        run_import(service, DATA / "reemploi_materiaux.csv", "csv", mapping=path)
    with pytest.raises(ImportFileError, match="format inconnu « xls »"):
        run_import(service, DATA / "reemploi_materiaux.csv", "xls", mapping=path)


def test_readers_stream_rows_before_reaching_the_end_of_the_file():
    """Rows come out one by one: a fault far down is met only when reading gets there."""
    rules = mapping.parse({"key": "id", "fields": {"name": "nom"}, "activities": {"default": ["velo"]}}, load())
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.68, 48.11]},
               "properties": {"id": "1", "nom": "Atelier"}}
    truncated = '{"type": "FeatureCollection", "features": [' + json.dumps(feature) + ', {"type": "Fea'
    rows = geojson.read(io.BytesIO(truncated.encode()), rules)
    first = next(rows)
    assert isinstance(first, Record) and first.fields["name"] == "Atelier"
    with pytest.raises(ImportFileError, match="JSON mal formé après l'élément 1"):
        next(rows)
    good_rows = "".join(f"{i},Atelier {i}\n" for i in range(1, 10_001)).encode()
    rows = csv_generic.read(io.BytesIO(b"id,nom\n" + good_rows + b"10001,\xff\xfe\n"), rules)
    assert next(rows).key == "1"
    with pytest.raises(ImportFileError, match="pas du texte UTF-8"):
        list(rows)


def test_each_source_keeps_the_licence_its_file_or_mapping_states(service, tmp_path):
    """GoGoCarto's ``licence`` member wins; else the mapping's; a source stating none gets none."""
    stated = tmp_path / "licenced.yaml"
    stated.write_text((DATA / "reemploi_materiaux_mapping.yaml").read_text(encoding="utf-8")
                      + "\nlicence: CC-BY-4.0\n", encoding="utf-8")
    import_file(service, "gogocarto_elements.json", "gogocarto", "gogocarto_mapping.yaml")
    run_import(service, DATA / "reemploi_materiaux.csv", "csv", mapping=stated)
    import_file(service, "velo_ateliers.geojson", "geojson", "velo_ateliers_mapping.yaml")
    with service.session() as session:
        licence_of = source_licences.of_sources(session)
        assert licence_of("carteco") == licences.ODBL  # the file's https://opendatacommons.org/licenses/odbl/…
        assert licence_of("reemploi-materiaux") == licences.CC_BY
        assert licence_of("mobin") == source_licences.UNSTATED  # never relabelled as ours
        assert licence_of(None) == licence_of("demo") == licences.ETALAB


def test_a_dry_run_records_no_licence(service):
    import_file(service, "gogocarto_elements.json", "gogocarto", "gogocarto_mapping.yaml", dry_run=True)
    with service.session() as session:
        assert source_licences.of_sources(session)("carteco") == source_licences.UNSTATED


# --- Encodings and control characters ----------------------------------------------------------

EXCEL_ROW = "M9;L'Œuvre « Récup » — Brest;Matériauthèque;;29200;29019;-4,4861;48,3904;;;non;;Cœur de chantier\r\n"


def excel_csv(tmp_path, encoding_line: str | None):
    """The test CSV as French Excel saves it (cp1252), with its mapping naming an encoding or not."""
    data = tmp_path / "excel.csv"
    header = (DATA / "reemploi_materiaux.csv").read_text(encoding="utf-8").splitlines()[0]
    data.write_bytes((header + "\r\n" + EXCEL_ROW).encode("cp1252"))
    rules = tmp_path / "excel.yaml"
    text = (DATA / "reemploi_materiaux_mapping.yaml").read_text(encoding="utf-8")
    rules.write_text(text.replace('  delimiter: ";"', '  delimiter: ";"\n' + (encoding_line or "")), encoding="utf-8")
    return data, rules


def test_a_french_excel_file_read_as_utf8_gets_the_cp1252_hint(service, tmp_path):
    data, rules = excel_csv(tmp_path, None)
    with pytest.raises(ImportFileError, match=r"Excel en français \(Windows-1252\).*encoding: cp1252"):
        run_import(service, data, "csv", mapping=rules)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "ISO-8859-1"])
def test_latin_1_is_read_as_windows_1252_as_browsers_do(service, tmp_path, encoding):
    data, rules = excel_csv(tmp_path, f"  encoding: {encoding}\n")
    assert run_import(service, data, "csv", mapping=rules).created == 1
    with service.session() as session:
        stored = site(session, "M9", "reemploi-materiaux")
        assert (stored.name, stored.description) == ("L'Œuvre « Récup » — Brest", "Cœur de chantier")


def test_control_characters_are_refused_in_every_text_field_with_the_field_named(service, tmp_path):
    data = tmp_path / "control.csv"
    header = (DATA / "reemploi_materiaux.csv").read_text(encoding="utf-8").splitlines()[0]
    data.write_text(header + "\n" + "M1;L'\x8cuvre;Matériauthèque;;29200;29019;-4.4861;48.3904;;;non;;\n"
                    + "M2;Atelier;Matériauthèque;12 rue\x00;29200;29019;-4.4861;48.3904;;;non;;\n"
                    + "M3;Atelier;Matériauthèque;;29200;29019;-4.4861;48.3904;;;non;Réseau\x1b;\n", encoding="utf-8")
    report = run_import(service, data, "csv", mapping=DATA / "reemploi_materiaux_mapping.yaml")
    skipped = {s.position: s.detail for s in report.skipped}
    assert "U+008C" in skipped[2] and skipped[2].startswith("nom")  # a required field: the row is refused
    warned = dict(report.warnings)  # optional fields: the value is refused, the row kept, both said
    assert "« adresse »" in warned[3] and "U+0000" in warned[3]
    assert "U+001B" in warned[4] and "caractère de contrôle" in warned[4]
    with service.session() as session:
        kept = [site(session, key, "reemploi-materiaux") for key in ("M2", "M3")]
    assert [(s.street, s.labels) for s in kept] == [("", []), ("", [])]
