"""The import queues of moderation: conflicts with a moderator's correction, sites missing from their
source. Each seen and decided in the console, the API and the command line, within the account's scope."""
import re

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from carto.api.templates import templates
from carto.cli import app as cli
from carto.core.settings import get_settings
from carto.directory import sites
from carto.storage.models import ImportConflict, ImportConflictStatus, SiteStatus
from tests.helpers import ALRE, CAP, FRANKLIN, correct_as, csrf_of, import_lvao, sample_rows, site, variant, write_lvao


def a_conflict_on_cap(service, tmp_path, moderation_accounts) -> int:
    """Cap Ressourcerie renamed by the administrator, then renamed differently by its source."""
    import_lvao(service)
    correct_as(service, moderation_accounts["admin"], CAP, name="Cap Ressourcerie (Crach)")
    report = import_lvao(service, variant(tmp_path, **{CAP: {"nom_commercial": "CAP RESSOURCERIE"}}))
    assert report.conflicts == 1
    with service.session() as session:
        return session.exec(select(ImportConflict.id)).one()


def test_a_conflict_shows_both_values_with_who_and_when_and_stays_in_scope(client, demo_service, moderation_accounts,
                                                                            sign_in, tmp_path):
    conflict_id = a_conflict_on_cap(demo_service, tmp_path, moderation_accounts)
    sign_in(client, moderation_accounts["admin"])
    listed = client.get("/api/moderation/import-conflicts")
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["id"], item["label"], item["source"]) == (conflict_id, "Nom", "lvao")
    assert (item["ours"]["text"], item["ours"]["by"]) == ("Cap Ressourcerie (Crach)", "Modération admin")
    assert item["theirs"]["text"] == "CAP RESSOURCERIE"
    assert item["ours"]["at"] < item["theirs"]["at"]
    page = client.get("/moderation/imports/conflits").text
    assert "Cap Ressourcerie (Crach)" in page and "CAP RESSOURCERIE" in page
    assert re.search(r"par Modération admin, le \d\d/\d\d/\d{4} à \d\d:\d\d", page)
    assert re.search(r"import « lvao » du \d\d/\d\d/\d{4}", page)

    csrf = sign_in(client, moderation_accounts["brest"])  # Crach is not in the pays de Brest
    assert client.get("/api/moderation/import-conflicts").json() == {"total": 0, "items": []}
    refused = client.post("/api/moderation/import-conflicts/decisions", headers={"X-CSRF-Token": csrf},
                          json={"ids": [conflict_id], "choice": "source"}).json()["results"]
    assert refused == [{"id": conflict_id, "ok": False, "message": "hors de votre périmètre de modération"}]
    with demo_service.session() as session:
        assert session.get(ImportConflict, conflict_id).status == ImportConflictStatus.open


def test_taking_the_source_value_from_the_console_writes_it_in_the_moderator_name(client, demo_service,
                                                                                  moderation_accounts, sign_in,
                                                                                  tmp_path):
    conflict_id = a_conflict_on_cap(demo_service, tmp_path, moderation_accounts)
    sign_in(client, moderation_accounts["admin"])
    page = client.get("/moderation/imports/conflits").text
    done = client.post("/moderation/imports/conflits", data={"csrf_token": csrf_of(page),
                                                             "row": f"source:{conflict_id}"})
    assert done.status_code == 200 and "valeur de la source appliquée" in done.text
    assert "Aucun conflit d'import dans votre périmètre" in done.text
    with demo_service.session() as session:
        cap = site(session, CAP)
        assert cap.name == "CAP RESSOURCERIE"
        assert sites.history(session, cap.id)[-1].actor.startswith("user:")
        assert session.get(ImportConflict, conflict_id).status == ImportConflictStatus.applied


def test_conflicts_are_kept_in_batch_and_a_wrong_request_keeps_the_queue(client, demo_service, moderation_accounts,
                                                                         sign_in, tmp_path):
    import_lvao(demo_service)
    correct_as(demo_service, moderation_accounts["admin"], CAP, name="Cap (Crach)", phone="02 97 00 00 00")
    import_lvao(demo_service, variant(tmp_path, **{CAP: {"nom_commercial": "CAP", "telephone": "0297111111"}}))
    csrf = sign_in(client, moderation_accounts["admin"])
    items = client.get("/api/moderation/import-conflicts").json()["items"]
    assert sorted(i["label"] for i in items) == ["Nom", "Téléphone"]
    page = client.get("/moderation/imports/conflits").text
    nothing_ticked = client.post("/moderation/imports/conflits", data={"csrf_token": csrf, "choice": "keep"})
    assert nothing_ticked.status_code == 422 and "Cochez au moins une ligne" in nothing_ticked.text
    both = client.post("/moderation/imports/conflits", data={"csrf_token": csrf_of(page), "choice": "keep",
                                                             "ids": [str(i["id"]) for i in items]})
    assert "2 décision(s) appliquée(s) sur 2" in both.text
    with demo_service.session() as session:
        assert (site(session, CAP).name, site(session, CAP).phone) == ("Cap (Crach)", "02 97 00 00 00")
    again = client.post("/api/moderation/import-conflicts/decisions", headers={"X-CSRF-Token": csrf},
                        json={"ids": [items[0]["id"]], "choice": "source"}).json()["results"]
    assert again[0]["ok"] is False and "aucun conflit d'import ouvert" in again[0]["message"]


def test_sites_missing_from_their_source_are_archived_or_kept_and_not_asked_again(client, demo_service,
                                                                                  moderation_accounts, sign_in,
                                                                                  tmp_path):
    import_lvao(demo_service)
    fewer = write_lvao(tmp_path / "fewer.csv", [r for r in sample_rows() if r["identifiant"] not in (ALRE, FRANKLIN)])
    assert import_lvao(demo_service, fewer).missing == 2
    with demo_service.session() as session:
        alre, franklin = site(session, ALRE).id, site(session, FRANKLIN).id
    csrf = sign_in(client, moderation_accounts["brest"])
    assert client.get("/api/moderation/missing-sites").json()["total"] == 0
    csrf = sign_in(client, moderation_accounts["admin"])
    listed = client.get("/api/moderation/missing-sites").json()
    assert [i["id"] for i in listed["items"]] == sorted([alre, franklin]) and listed["items"][0]["source"] == "lvao"
    page = client.get("/moderation/imports/absentes").text
    assert "Absentes de leur source <span class=\"mc-count\">2</span>" in page
    archived = client.post("/moderation/imports/absentes", data={"csrf_token": csrf_of(page), "row": f"archive:{alre}"})
    assert archived.status_code == 200 and f"N° {alre} : fiche archivée" in archived.text
    kept = client.post("/api/moderation/missing-sites/decisions", headers={"X-CSRF-Token": csrf},
                       json={"ids": [franklin], "choice": "keep"}).json()["results"]
    assert kept == [{"id": franklin, "ok": True, "message": "fiche gardée"}]
    assert client.get("/api/moderation/missing-sites").json()["total"] == 0
    with demo_service.session() as session:
        assert site(session, ALRE).status == SiteStatus.archived
        assert site(session, FRANKLIN).status == SiteStatus.published
        assert sites.history(session, franklin)[-1].changes.keys() == {"missing_kept_at"}

    import_lvao(demo_service, fewer)  # still missing: the answer stands
    assert client.get("/api/moderation/missing-sites").json()["total"] == 0
    import_lvao(demo_service)  # listed again, then dropped again: asked anew
    import_lvao(demo_service, fewer)
    assert [i["id"] for i in client.get("/api/moderation/missing-sites").json()["items"]] == [franklin]


def test_the_command_line_lists_and_decides_within_the_account_scope(demo_service, moderation_accounts, tmp_path,
                                                                     monkeypatch):
    conflict_id = a_conflict_on_cap(demo_service, tmp_path, moderation_accounts)
    monkeypatch.setenv("CARTO_DATABASE_URL", demo_service.settings.database_url)
    monkeypatch.setenv("CARTO_GEODATA", str(demo_service.settings.geodata))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        listed = runner.invoke(cli, ["conflicts", "list", "--user", moderation_accounts["admin"]])
        assert listed.exit_code == 0, listed.output
        assert f"n° {conflict_id} — fiche" in listed.output and "la nôtre : Cap Ressourcerie (Crach)" in listed.output
        assert "la source (lvao) : CAP RESSOURCERIE" in listed.output
        elsewhere = runner.invoke(cli, ["conflicts", "list", "--user", moderation_accounts["brest"]])
        assert "0 conflit(s) ouvert(s)" in elsewhere.output
        refused = runner.invoke(cli, ["conflicts", "resolve", str(conflict_id), "--source",
                                      "--user", moderation_accounts["brest"]])
        assert refused.exit_code == 1 and "périmètre" in refused.output
        unknown = runner.invoke(cli, ["conflicts", "list", "--user", "personne@example.org"])
        assert unknown.exit_code == 1 and "aucun compte actif" in unknown.output
        kept = runner.invoke(cli, ["conflicts", "resolve", str(conflict_id), "--keep",
                                   "--user", moderation_accounts["admin"]])
        assert kept.exit_code == 0 and "valeur actuelle gardée" in kept.output
        assert "0 fiche(s) absente(s)" in runner.invoke(cli, ["missing", "list", "--user",
                                                               moderation_accounts["admin"]]).output
    finally:
        get_settings.cache_clear()
    with demo_service.session() as session:
        assert session.get(ImportConflict, conflict_id).status == ImportConflictStatus.kept


def test_the_command_line_lists_sites_missing_from_their_source_and_archives_or_keeps_them(
        demo_service, moderation_accounts, tmp_path, monkeypatch):
    import_lvao(demo_service)
    import_lvao(demo_service, write_lvao(tmp_path / "fewer.csv",
                                         [r for r in sample_rows() if r["identifiant"] not in (ALRE, FRANKLIN)]))
    with demo_service.session() as session:
        alre, franklin = site(session, ALRE), site(session, FRANKLIN)
    monkeypatch.setenv("CARTO_DATABASE_URL", demo_service.settings.database_url)
    monkeypatch.setenv("CARTO_GEODATA", str(demo_service.settings.geodata))
    get_settings.cache_clear()
    runner = CliRunner()
    admin = moderation_accounts["admin"]
    try:
        listed = runner.invoke(cli, ["missing", "list", "--user", admin]).output
        assert f"fiche {alre.id} « {alre.name} » ({alre.commune_name}) — source lvao — absente depuis" in listed
        assert f"fiche {franklin.id} « {franklin.name} »" in listed and "2 fiche(s) absente(s)" in listed
        assert "0 fiche(s) absente(s)" in runner.invoke(cli, ["missing", "list", "--user",
                                                               moderation_accounts["brest"]]).output
        archived = runner.invoke(cli, ["missing", "resolve", str(alre.id), "--archive", "--user", admin])
        assert archived.exit_code == 0 and f"n° {alre.id} : fiche archivée" in archived.output
        kept = runner.invoke(cli, ["missing", "resolve", str(franklin.id), "--keep", "--user", admin])
        assert kept.exit_code == 0 and f"n° {franklin.id} : fiche gardée" in kept.output
        assert "0 fiche(s) absente(s)" in runner.invoke(cli, ["missing", "list", "--user", admin]).output
    finally:
        get_settings.cache_clear()
    with demo_service.session() as session:
        assert (site(session, ALRE).status, site(session, FRANKLIN).status) == (SiteStatus.archived,
                                                                                SiteStatus.published)


@pytest.mark.parametrize("page, links", [
    (1, [("Suivante →", "/moderation/imports/absentes?page=2")]),
    (2, [("← Précédente", "/moderation/imports/absentes?page=1"), ("Suivante →", "/moderation/imports/absentes?page=3")]),
    (3, [("← Précédente", "/moderation/imports/absentes?page=2")]),
])
def test_a_moderation_queue_links_its_neighbour_pages(page, links):
    pages_nav = templates.env.get_template("moderation/_pages.html").module.pages_nav
    html = str(pages_nav(page, 3, "/moderation/imports/absentes?page="))
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', html) == [(href, text) for text, href in links]
    assert f"Page {page} sur 3" in html
    assert str(pages_nav(1, 1, "/moderation?file=pending&page=")).strip() == ""  # one page: no navigation
