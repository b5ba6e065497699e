"""The administrators' upload page: same import, same report as the command line."""
from sqlmodel import select

from carto.importers import interrupted
from carto.storage.models import ImportRun, Site, User, utcnow
from tests.helpers import DATA, SAMPLE, csrf_of, site


def upload(client, csrf, path, fmt, mapping=None, **fields):
    files = {"file": (path.name, path.read_bytes(), "text/csv")}
    if mapping:
        files["mapping"] = (mapping.name, mapping.read_bytes(), "application/yaml")
    return client.post("/moderation/imports", data={"csrf_token": csrf, "format": fmt, **fields}, files=files)


def test_only_administrators_reach_the_import_page(client, moderation_accounts, sign_in):
    assert client.get("/moderation/imports", follow_redirects=False).status_code == 303  # sign in first
    sign_in(client, moderation_accounts["reso"])
    assert client.get("/moderation/imports").status_code == 403


def test_an_administrator_uploads_the_lvao_sample_and_reads_the_report(client, demo_service, moderation_accounts,
                                                                          sign_in):
    csrf = sign_in(client, moderation_accounts["admin"])
    page = client.get("/moderation/imports")
    assert page.status_code == 200 and "Importer un fichier" in page.text
    response = upload(client, csrf_of(page.text), SAMPLE, "lvao")
    assert response.status_code == 200
    assert "Import terminé : « lvao », 8 lignes lues" in response.text
    assert "<th scope=\"row\">créées</th><td>7</td>" in response.text
    assert "ligne 6 : location_professionnel, louer" in response.text
    with demo_service.session() as session:
        admin = session.exec(select(User).where(User.email == moderation_accounts["admin"])).one()
        [run] = session.exec(select(ImportRun)).all()
        assert (run.actor, run.filename, run.created) == (f"user:{admin.id}", SAMPLE.name, 7)
        assert site(session, "aDcrby2bqxAZFM3yYCRTue").commune_code == "56046"
    assert csrf  # the signed-in session's token was used by the form


def test_a_dry_run_from_the_page_writes_nothing(client, demo_service, moderation_accounts, sign_in):
    sign_in(client, moderation_accounts["admin"])
    csrf = csrf_of(client.get("/moderation/imports").text)
    response = upload(client, csrf, DATA / "reemploi_materiaux.csv", "csv",
                      mapping=DATA / "reemploi_materiaux_mapping.yaml", dry_run="1")
    assert "Simulation (rien n'a été écrit)" in response.text
    assert "ligne 6 : « 44477180200015 » (clé de contrôle incorrecte)" in response.text
    with demo_service.session() as session:
        assert session.exec(select(Site).where(Site.source == "reemploi-materiaux")).all() == []


def test_a_file_that_cannot_be_imported_is_explained(client, moderation_accounts, sign_in):
    sign_in(client, moderation_accounts["admin"])
    csrf = csrf_of(client.get("/moderation/imports").text)
    response = upload(client, csrf, DATA / "reemploi_materiaux.csv", "csv")
    assert response.status_code == 422
    assert "Import impossible : le format csv demande un fichier de correspondance (--mapping)" in response.text
    assert upload(client, "faux-jeton", SAMPLE, "lvao").status_code == 403


def test_an_import_that_stopped_answering_is_shown_interrupted(client, demo_service, moderation_accounts, sign_in):
    with demo_service.session() as session:
        session.add(ImportRun(source="reseau", format="csv", actor="cli", filename="membres.csv",
                              heartbeat_at=utcnow() - 2 * interrupted.SILENT_FOR))
        session.add(ImportRun(source="lvao", format="lvao", actor="cli", filename="en-cours.csv", heartbeat_at=utcnow()))
        session.commit()
    sign_in(client, moderation_accounts["admin"])
    text = client.get("/moderation/imports").text
    assert text.count(interrupted.LABEL) == 1 and "en cours" in text
