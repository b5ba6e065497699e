"""The ``carto`` command, as a newcomer runs it."""


def test_demo_prepares_everything_and_coverage_reports_the_gaps(cli):
    result = cli("demo", "--no-serve", "--sites", "50")
    assert result.exit_code == 0, result.output
    assert "Territoires chargés : 1202 communes, 61 EPCI, 21 pays, 4 départements" in result.output
    assert "Pôles ESS : 19 ; sites de démonstration créés : 50" in result.output
    report = cli("coverage")
    assert report.exit_code == 0
    assert "Communes couvertes par aucun pôle : 3" in report.output
    for name in ("Camoël", "Férel", "Pénestin"):
        assert name in report.output
    assert "RÉSO solidaire" in report.output


def test_without_geodata_the_service_starts_with_territories_off(cli, tmp_path):
    empty = tmp_path / "nothing-here"
    result = cli("demo", "--no-serve", geodata=empty)
    assert result.exit_code == 0, result.output
    assert "fonctions territoriales désactivées" in result.output


def test_territories_load_refuses_a_missing_file_clearly(cli, tmp_path):
    result = cli("territories", "load", str(tmp_path / "absent.gpkg"))
    assert result.exit_code == 1
    assert "introuvable" in result.output


def test_poles_load_refuses_a_table_without_the_expected_columns(cli, tmp_path):
    table = tmp_path / "poles.csv"
    table.write_text("id,name\nx,y\n", encoding="utf-8")
    result = cli("poles", "load", str(table))
    assert result.exit_code == 1
    assert "colonnes attendues" in result.output


def test_a_poles_coverage_is_edited_from_the_command_line(cli, tmp_path):
    assert cli("demo", "--no-serve", "--sites", "0").exit_code == 0
    result = cli("poles", "coverage", "reso-solidaire", "--pays", "15", "--pays", "19")
    assert result.exit_code == 0, result.output
    assert "reso-solidaire : 114 communes couvertes" in result.output
    area = tmp_path / "area.geojson"
    area.write_text('{"type": "Point", "coordinates": [0, 0]}', encoding="utf-8")
    refused = cli("poles", "coverage", "reso-solidaire", "--geojson", str(area))
    assert refused.exit_code == 1 and "polygone" in refused.output


def test_backup_and_restore_from_the_command_line(cli, tmp_path):
    assert cli("demo", "--no-serve", "--sites", "5").exit_code == 0
    saved = tmp_path / "save.db"
    assert cli("backup", str(saved)).exit_code == 0
    assert cli("backup", str(saved)).exit_code == 1  # never overwritten
    restored = cli("restore", str(saved), "--yes")
    assert restored.exit_code == 0 and "Base restaurée" in restored.output


def served_base_url(cli, monkeypatch, *args) -> str:
    """``carto serve`` with uvicorn replaced: the public base URL of the app its workers would build."""
    import uvicorn
    from carto.app import create_app
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, factory, **options: served.update(app=create_app()))
    result = cli("serve", *args)
    assert result.exit_code == 0, result.output
    return served["app"].state.service.settings.public_base_url


def test_links_handed_out_follow_the_port_served_unless_a_public_address_is_set(cli, monkeypatch):
    assert cli("init").exit_code == 0
    # carto serve writes the address it serves into the environment (for its workers): set, then
    # deleted through monkeypatch, so that the test's end takes it away again for the next tests.
    monkeypatch.setenv("CARTO_PUBLIC_BASE_URL", "")
    monkeypatch.delenv("CARTO_PUBLIC_BASE_URL")
    assert served_base_url(cli, monkeypatch, "--port", "8437") == "http://127.0.0.1:8437"
    monkeypatch.setenv("CARTO_PUBLIC_BASE_URL", "https://carto.example.org")
    monkeypatch.setenv("CARTO_SECRET_KEY", "une-cle-secrete-de-deploiement")
    assert served_base_url(cli, monkeypatch, "--port", "8437") == "https://carto.example.org"
