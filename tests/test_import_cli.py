"""``carto import`` as an operator runs it: a progress bar, then the report."""
from carto.importers.lvao import DEFAULT_MAPPING
from tests.helpers import DATA, SAMPLE


def test_carto_import_reports_created_and_skipped_rows(cli, tmp_path):
    assert cli("init").exit_code == 0
    assert cli("territories", "load", str(DATA.parent.parent.parent / "shared" / "geodata"
                                                                / "communes_bretagne_2026.geojson")).exit_code == 0
    rapport = tmp_path / "rapport.csv"
    result = cli("import", str(SAMPLE), "--format", "lvao", "--report", str(rapport))
    assert result.exit_code == 0, result.output
    assert "Import « lvao » (lvao) : 8 lignes lues" in result.output
    assert "créées : 7" in result.output
    assert "ligne 6 : location_professionnel, louer" in result.output
    assert rapport.read_text(encoding="utf-8").splitlines()[1] == (
        "écartée,6,NVhnuuKmw7gTKEoDBjd7bT,aucune activité correspondante,\"location_professionnel, louer\"")
    again = cli("import", str(SAMPLE), "--format", "lvao", "--dry-run",
                "--mapping", str(DEFAULT_MAPPING))
    assert "Simulation (rien n'a été écrit)" in again.output and "inchangées : 7" in again.output


def test_carto_import_says_what_is_wrong_without_a_traceback(cli):
    result = cli("import", str(DATA / "reemploi_materiaux.csv"), "--format", "csv")
    assert result.exit_code == 1
    assert "Erreur : le format csv demande un fichier de correspondance (--mapping)" in result.output
