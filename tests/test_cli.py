"""The ``carto`` command, as a newcomer runs it."""
from typer.testing import CliRunner

from carto.cli import app
from carto.core.settings import get_settings
from tests.conftest import GEODATA

runner = CliRunner()


def run(monkeypatch, tmp_path, *args, geodata=GEODATA):
    monkeypatch.setenv("CARTO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CARTO_GEODATA", str(geodata))
    get_settings.cache_clear()
    try:
        return runner.invoke(app, list(args))
    finally:
        get_settings.cache_clear()


def test_demo_prepares_everything_and_coverage_reports_the_gaps(monkeypatch, tmp_path):
    result = run(monkeypatch, tmp_path, "demo", "--no-serve", "--sites", "50")
    assert result.exit_code == 0, result.output
    assert "1202 communes, 61 epci, 21 pays, 4 departement" in result.output
    assert "Pôles ESS : 19 ; sites de démonstration créés : 50" in result.output
    report = run(monkeypatch, tmp_path, "coverage")
    assert report.exit_code == 0
    assert "Communes couvertes par aucun pôle : 3" in report.output
    for name in ("Camoël", "Férel", "Pénestin"):
        assert name in report.output
    assert "RÉSO solidaire" in report.output


def test_without_geodata_the_service_starts_with_territories_off(monkeypatch, tmp_path):
    empty = tmp_path / "nothing-here"
    result = run(monkeypatch, tmp_path, "demo", "--no-serve", geodata=empty)
    assert result.exit_code == 0, result.output
    assert "fonctions territoriales désactivées" in result.output


def test_territories_load_refuses_a_missing_file_clearly(monkeypatch, tmp_path):
    result = run(monkeypatch, tmp_path, "territories", "load", str(tmp_path / "absent.gpkg"))
    assert result.exit_code == 1
    assert "introuvable" in result.output


def test_poles_load_refuses_a_table_without_the_expected_columns(monkeypatch, tmp_path):
    table = tmp_path / "poles.csv"
    table.write_text("id,name\nx,y\n", encoding="utf-8")
    result = run(monkeypatch, tmp_path, "poles", "load", str(table))
    assert result.exit_code == 1
    assert "colonnes attendues" in result.output


def test_a_poles_coverage_is_edited_from_the_command_line(monkeypatch, tmp_path):
    assert run(monkeypatch, tmp_path, "demo", "--no-serve", "--sites", "0").exit_code == 0
    result = run(monkeypatch, tmp_path, "poles", "coverage", "reso-solidaire", "--pays", "15", "--pays", "19")
    assert result.exit_code == 0, result.output
    assert "reso-solidaire : 114 communes couvertes" in result.output
    area = tmp_path / "area.geojson"
    area.write_text('{"type": "Point", "coordinates": [0, 0]}', encoding="utf-8")
    refused = run(monkeypatch, tmp_path, "poles", "coverage", "reso-solidaire", "--geojson", str(area))
    assert refused.exit_code == 1 and "polygone" in refused.output


def test_backup_and_restore_from_the_command_line(monkeypatch, tmp_path):
    assert run(monkeypatch, tmp_path, "demo", "--no-serve", "--sites", "5").exit_code == 0
    saved = tmp_path / "save.db"
    assert run(monkeypatch, tmp_path, "backup", str(saved)).exit_code == 0
    assert run(monkeypatch, tmp_path, "backup", str(saved)).exit_code == 1  # never overwritten
    restored = run(monkeypatch, tmp_path, "restore", str(saved), "--yes")
    assert restored.exit_code == 0 and "Base restaurée" in restored.output


def served_base_url(monkeypatch, tmp_path, *args) -> str:
    """``carto serve`` with uvicorn replaced: the public base URL of the app it would have served."""
    import uvicorn
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port: served.update(app=app))
    result = run(monkeypatch, tmp_path, "serve", *args)
    assert result.exit_code == 0, result.output
    return served["app"].state.service.settings.public_base_url


def test_links_handed_out_follow_the_port_served_unless_a_public_address_is_set(monkeypatch, tmp_path):
    assert run(monkeypatch, tmp_path, "init").exit_code == 0
    monkeypatch.delenv("CARTO_PUBLIC_BASE_URL", raising=False)
    assert served_base_url(monkeypatch, tmp_path, "--port", "8437") == "http://127.0.0.1:8437"
    monkeypatch.setenv("CARTO_PUBLIC_BASE_URL", "https://carto.example.org")
    assert served_base_url(monkeypatch, tmp_path, "--port", "8437") == "https://carto.example.org"
