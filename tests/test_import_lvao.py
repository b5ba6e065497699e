"""Importing the ADEME « Longue vie aux objets » file: the real sample, the mapping, skipped rows."""
import pytest

from carto.query import search
from carto.importers import ImportFileError
from carto.storage.models import PositionPrecision, SiteVersion
from sqlmodel import select
from tests.helpers import (AFE56, ALRE, CAP, COUTURE, FRANKLIN, LOCARMOR, POULBENN, RELAIS, activities,
                           count, import_lvao, sample_rows, site, variant, write_lvao)

EXPECTED_ACTIVITIES = {
    CAP: ["recyclage", "reemploi", "textile", "velo"],  # recyclerie; donner/acheter clothes and bikes; trier
    ALRE: ["reparation"],
    POULBENN: ["reparation"],
    FRANKLIN: ["reemploi", "textile"],  # recyclerie giving away clothes
    AFE56: ["reparation"],
    RELAIS: ["recyclage", "reemploi", "textile"],  # collection: donner and trier textiles
    COUTURE: ["reparation", "textile"],  # repairs clothes, label Refashion
}


def test_the_real_sample_imports_every_mapped_actor_with_activities_commune_and_credit(service):
    report = import_lvao(service)
    assert (report.created, report.updated, report.unchanged) == (7, 0, 0)
    with service.session() as session:
        for key, expected in EXPECTED_ACTIVITIES.items():
            assert activities(session, key) == expected, key
        for key in (CAP, POULBENN):
            assert (site(session, key).commune_code, site(session, key).commune_name) == ("56046", "Crach")
        for key in (ALRE, FRANKLIN, AFE56, RELAIS, COUTURE):
            assert (site(session, key).commune_code, site(session, key).commune_name) == ("56007", "Auray")
        cap = site(session, CAP)
        assert cap.epci_code == "200043123"  # CC Auray Quiberon Terre Atlantique, as the file says
        assert cap.credit == "Longue Vie Aux Objets|ADEME|ECOSYSTEM|ECOLOGIC|ECOMAISON|REFASHION|SINOE"
        assert site(session, COUTURE).credit == "Longue Vie Aux Objets|ADEME|REFASHION"
        assert cap.name == "Cap Ressourcerie"  # the trade name when there is one
        assert cap.siret == "83284597800028" and cap.website == "https://www.cap-ressourcerie.com/"
        assert "Horaires : mercredi 10h00-18h00 samedi 10h00-18h00" in cap.description
        assert [s.ess for s in (cap, site(session, ALRE), site(session, RELAIS))] == [True, False, False]
        assert cap.labels == ["ESS"] and site(session, AFE56).labels == ["QualiRépar"]
        assert site(session, COUTURE).labels == ["Refashion"]
        assert site(session, LOCARMOR) is None


def test_imported_sites_have_history_and_are_found_by_text_search(service):
    import_lvao(service)
    with service.session() as session:
        versions = session.exec(select(SiteVersion)).all()
        assert len(versions) == 7
        assert {(v.version, v.action, v.actor) for v in versions} == {(1, "create", "import:lvao")}
        assert versions[0].snapshot["activities"]
        found = search.find(session, search.SiteFilter(q="green socks")).sites
        assert [s.source_key for s in found] == [FRANKLIN]
        in_crach = search.find(session, search.SiteFilter(commune="56046")).sites
        assert {s.source_key for s in in_crach} == {CAP, POULBENN}


def test_the_unmapped_actor_is_reported_with_its_line_and_reason(service):
    report = import_lvao(service)
    [skip] = report.skipped
    assert (skip.position, skip.reason, skip.key) == (6, "activite", LOCARMOR)
    assert skip.message == "aucune activité correspondante : location_professionnel, louer"


def test_reimporting_the_same_file_changes_nothing(service):
    import_lvao(service)
    report = import_lvao(service)
    assert (report.created, report.updated, report.unchanged, report.missing) == (0, 0, 7, 0)
    with service.session() as session:
        assert count(session, "site") == 7
        assert count(session, "siteversion") == 7
        assert count(session, "importrun") == 2


def test_a_dry_run_reports_without_writing(service):
    report = import_lvao(service, dry_run=True)
    assert (report.created, len(report.skipped), report.run_id) == (7, 1, None)
    with service.session() as session:
        indexes = ("site_fts",) if service.engine.dialect.name == "sqlite" else ()  # PostgreSQL: in-table
        for table in ("site", "siteversion", "siteactivity", "importstate", "importrun", *indexes):
            assert count(session, table) == 0, table


def test_skipped_rows_give_their_line_number_and_a_french_reason(service, tmp_path):
    rows = {r["identifiant"]: r for r in sample_rows()}
    multiline = dict(rows[CAP], description="Première ligne\nseconde ligne")  # one row, two lines
    broken_json = dict(rows[ALRE], propositions_de_services='[{"action": "reparer", ')
    bad_siret = dict(rows[POULBENN], siret="30968373800054")
    nowhere = dict(rows[FRANKLIN], latitude="", longitude="", code_commune="99999")
    in_paris = dict(rows[AFE56], latitude="48.8590", longitude="2.3470")
    online = dict(rows[RELAIS], type_dacteur="acteur_digital")
    twice = dict(rows[CAP])
    no_key = dict(rows[COUTURE], identifiant="")
    path = write_lvao(tmp_path / "faulty.csv",
                      [multiline, broken_json, bad_siret, nowhere, in_paris, online, twice, no_key])
    report = import_lvao(service, path)
    assert report.created == 1
    skipped = {s.position: (s.reason, s.message) for s in report.skipped}
    assert skipped == {
        4: ("json", "JSON mal formé : propositions_de_services : erreur de syntaxe au caractère 23"),
        5: ("siret", "SIRET invalide : « 30968373800054 » (clé de contrôle incorrecte)"),
        6: ("position", "ni position ni commune connue : commune inconnue : « 99999 »"),
        7: ("territoire", "hors du territoire : le point (2.34700, 48.85900) n'est dans aucune commune chargée"),
        8: ("exclu", "hors du champ de l'import : acteur uniquement en ligne (type acteur_digital)"),
        9: ("doublon", f"identifiant en double dans le fichier : « {CAP} », déjà ligne 2"),
        10: ("identifiant", "identifiant manquant : colonne identifiant vide"),
    }


def test_without_a_point_a_known_commune_gives_its_centre(service, tmp_path):
    path = variant(tmp_path, **{FRANKLIN: {"latitude": "", "longitude": ""}})
    import_lvao(service, path)
    with service.session() as session:
        lycee = site(session, FRANKLIN)
        assert (lycee.commune_code, lycee.position_precision) == ("56007", PositionPrecision.commune)


def test_a_bad_secondary_field_is_dropped_with_a_warning(service, tmp_path):
    path = variant(tmp_path, **{ALRE: {"horaires_osm": "lundi matin", "site_web": "ftp://fichiers.example.org"}})
    report = import_lvao(service, path)
    assert report.created == 7
    assert [position for position, _ in report.warnings] == [3, 3]
    assert any("horaires" in text for _, text in report.warnings)
    with service.session() as session:
        assert site(session, ALRE).opening_hours is None


@pytest.mark.parametrize("changes, expected", [
    ({"type_de_services": "structure_de_collecte", "propositions_de_services":
      '[{"action": "trier", "sous_categories": ["vetement", "velo"]}]'}, ["recyclage"]),  # sorting is not reuse
    ({"type_de_services": "", "propositions_de_services":
      '[{"action": "acheter", "sous_categories": ["velo"]}]'}, ["reemploi", "velo"]),
    ({"type_de_services": "", "propositions_de_services": '[{"action": "louer", "sous_categories": ["velo"]}]',
      "qualites_et_labels": "reparacteur"}, ["reparation"]),  # renting bikes is not a bike workshop
    ({"type_de_services": "", "propositions_de_services": "", "reparer": "velo"}, ["reparation", "velo"]),
    ({"type_de_services": "", "propositions_de_services":
      '[{"action": "donner", "sous_categories": [{"odd": 1}, "velo"]}]'}, ["reemploi", "velo"]),  # odd items ignored
])
def test_the_lvao_mapping_rules(service, tmp_path, changes, expected):
    path = variant(tmp_path, **{LOCARMOR: changes})
    import_lvao(service, path)
    with service.session() as session:
        assert activities(session, LOCARMOR) == expected


def test_the_ess_flag_comes_from_the_actor_type_or_the_ess_label(service, tmp_path):
    path = variant(tmp_path, **{ALRE: {"type_dacteur": "ess"}, POULBENN: {"qualites_et_labels": "ess|reparacteur"},
                                AFE56: {"public_accueilli": "Particuliers et professionnels"}})
    import_lvao(service, path)
    with service.session() as session:
        assert site(session, ALRE).ess and site(session, POULBENN).ess
        assert site(session, POULBENN).labels == ["ESS", "Répar'Acteurs"]
        afe = site(session, AFE56)
        assert (afe.ess, afe.serves_individuals, afe.serves_professionals) == (False, True, True)


def test_another_mapping_file_can_be_given(service, tmp_path):
    from carto.importers.lvao import DEFAULT_MAPPING
    mapping = tmp_path / "lvao.yaml"
    mapping.write_text(DEFAULT_MAPPING.read_text(encoding="utf-8").replace(
        "actions:\n", "actions:\n  louer: [transport-solidaire]\n", 1), encoding="utf-8")
    report = import_lvao(service, mapping=mapping)
    assert report.created == 8
    with service.session() as session:
        assert activities(session, LOCARMOR) == ["transport-solidaire"]


def test_a_mapping_naming_an_unknown_activity_is_refused(service, tmp_path):
    mapping = tmp_path / "lvao.yaml"
    mapping.write_text("services:\n  recyclerie: [ressourcerie]\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="activité inconnue : « ressourcerie »"):
        import_lvao(service, mapping=mapping)


def test_a_file_without_the_lvao_columns_is_refused(service, tmp_path):
    path = tmp_path / "autre.csv"
    path.write_text("id,nom\n1,Truc\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="il manque identifiant, paternite"):
        import_lvao(service, path)
