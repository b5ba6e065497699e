"""Reserved-contract statuses (SIAE, EA/ESAT) as buyers rely on them: a contributor's tick is a
declared status; only a moderator who saw the document (or a register trusted for it) verifies;
buyers see which, everywhere, and can ask for verified statuses only."""
import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from carto.directory import reserved_status
from carto.storage import freshness
from carto.storage.models import Site, SiteVersion
from carto.community.contributions import by_token
from tests.helpers import RENNES, csrf_of, decide

PROOF = {"authority": "DREETS Bretagne", "number": "035-ACI-2024-12", "document_date": "2026-03-12"}
VERIFIED = "SIAE — vérifié (DREETS Bretagne, n° 035-ACI-2024-12, 12/03/2026)"
DECLARED = "SIAE — déclaré, non vérifié"
NAME = "Chantier d'insertion des Lices"


def declared_by_a_contributor(client, service, moderation_accounts, sign_in) -> int:
    """A contributor ticks « SIAE » on the form of a new site; a moderator accepts it as it is."""
    form = {"csrf_token": csrf_of(client.get("/proposer").text), "name": NAME, "activities": ["reemploi"],
            "lon": str(RENNES[0]), "lat": str(RENNES[1]), "siae": "1", "contributor_name": "Jeanne",
            "contributor_email": "jeanne@contributrice.example", "consent": "1"}
    sent = client.post("/proposer", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    with service.session() as session:
        c = by_token(session, re.match(r"/suivi/([^?]+)", sent.headers["location"]).group(1))
    csrf = sign_in(client, moderation_accounts["admin"])
    assert decide(client, csrf, c.id, "accept").status_code == 200
    client.post("/deconnexion", data={"csrf_token": csrf})
    client.cookies.clear()
    return c.site_id


def supplier_names(client, **params) -> list[str]:
    found = client.get("/api/sourcing", params={"territory": "Rennes", "limit": 1000, **params})
    assert found.status_code == 200, found.text
    return [f["properties"]["nom"] for f in found.json()["features"]]


def csv_row(client, site_id: int, **params) -> dict:
    raw = client.get("/api/exports/sites.csv", params={"territory": "Rennes", **params}).content
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return next(r for r in rows if r["id"] == str(site_id))


def test_a_contributors_tick_is_declared_and_never_passes_for_verified(client, demo_service, moderation_accounts,
                                                                       sign_in):
    site_id = declared_by_a_contributor(client, demo_service, moderation_accounts, sign_in)
    properties = client.get(f"/api/sites/{site_id}").json()["properties"]
    assert (properties["siae"], properties["siae_statut"], properties["siae_numero"]) == (True, "declared", None)
    assert NAME in supplier_names(client, reserved="siae")
    assert NAME not in supplier_names(client, reserved="siae", reserved_verified="true")
    assert NAME not in supplier_names(client, reserved_verified="true")
    listed = client.get("/api/sites", params={"siae": "true", "commune": "35238", "limit": 1000}).json()
    assert site_id in [f["id"] for f in listed["features"]]
    verified = client.get("/api/sites", params={"siae": "true", "reserved_verified": "true", "limit": 1000}).json()
    assert site_id not in [f["id"] for f in verified["features"]]
    page = client.get("/sourcing", params={"territory": "Rennes", "reserved": "siae"}).text
    assert DECLARED in page
    row = csv_row(client, site_id)
    assert (row["siae"], row["siae_statut"], row["siae_numero"], row["marches_reserves"]) == ("oui", "declared", "",
                                                                                          DECLARED)


def test_a_moderator_verifies_with_the_document_and_buyers_see_it_everywhere(client, demo_service,
                                                                             moderation_accounts, sign_in):
    site_id = declared_by_a_contributor(client, demo_service, moderation_accounts, sign_in)
    with demo_service.session() as session:
        before = freshness.data_version(session)

    sign_in(client, moderation_accounts["brest"])  # another pôle's moderator: not its site
    csrf = csrf_of(client.get("/moderation").text)
    assert client.post(f"/moderation/sites/{site_id}/statuts/siae/verifier",
                       data={"csrf_token": csrf, "kind": "siae", **PROOF}).status_code == 403

    sign_in(client, moderation_accounts["reso"])
    csrf = csrf_of(client.get(f"/moderation/sites/{site_id}").text)
    missing = client.post(f"/moderation/sites/{site_id}/statuts/siae/verifier",
                          data={"csrf_token": csrf, "kind": "siae", **PROOF, "number": " "})
    assert missing.status_code == 422
    assert "numéro manquant" in missing.text
    assert 'value="DREETS Bretagne"' in missing.text and 'value="2026-03-12"' in missing.text  # nothing typed is lost
    done = client.post(f"/moderation/sites/{site_id}/statuts/siae/verifier",
                       data={"csrf_token": csrf, "kind": "siae", **PROOF}, follow_redirects=False)
    assert done.status_code == 303
    history = client.get(f"/moderation/sites/{site_id}").text
    assert "SIAE : vérification" in history and f"{VERIFIED}, enregistré par la modération" in history

    with demo_service.session() as session:
        assert freshness.data_version(session) != before  # ETags and caches follow
        version = session.exec(select(SiteVersion).where(SiteVersion.site_id == site_id)
                               .order_by(SiteVersion.version.desc())).first()
        assert version.action == "verification" and version.actor.startswith("user:")
        assert version.changes["siae_verification"][0] is None
        assert version.changes["siae_verification"][1]["number"] == "035-ACI-2024-12"

    client.cookies.clear()  # a buyer
    properties = client.get(f"/api/sites/{site_id}").json()["properties"]
    assert {k: properties[k] for k in ("siae_statut", "siae_autorite", "siae_numero", "siae_date_document",
                                        "siae_date_verification", "siae_verifie_par")} == {
        "siae_statut": "verified", "siae_autorite": "DREETS Bretagne", "siae_numero": "035-ACI-2024-12",
        "siae_date_document": "2026-03-12", "siae_date_verification": date.today().isoformat(),
        "siae_verifie_par": "moderation"}
    assert client.get(f"/ogc/collections/sites/items/{site_id}").json()["properties"]["siae_statut"] == "verified"
    ogc = client.get("/ogc/collections/sites/items", params={"reserved_verified": "true", "limit": 1000}).json()
    assert [f["id"] for f in ogc["features"]] == [site_id]  # the demo's SIAE are all declared
    assert NAME in supplier_names(client, reserved="siae", reserved_verified="true")
    assert VERIFIED in client.get("/sourcing", params={"territory": "Rennes", "reserved": "siae",
                                                       "reserved_verified": "true"}).text
    assert VERIFIED in client.get(f"/sites/{site_id}").text
    listed = client.get("/liste", params={"siae": "true", "reserved_verified": "true", "ess": "all"}).text
    assert NAME.replace("'", "&#39;") in listed and VERIFIED in listed
    assert "Statuts SIAE, EA ou ESAT vérifiés seulement" in listed
    assert 'name="reserved_verified" value="true" checked' in listed  # the map's and list's filters keep it
    row = csv_row(client, site_id, reserved_verified="true")
    assert (row["siae_statut"], row["siae_numero"], row["siae_date_document"], row["marches_reserves"]) == (
        "verified", "035-ACI-2024-12", "2026-03-12", VERIFIED)
    sheet = load_workbook(io.BytesIO(client.get("/api/exports/sites.xlsx", params={
        "territory": "Rennes", "reserved": "siae", "reserved_verified": "true"}).content))["Sites"]
    rows = list(sheet.iter_rows(values_only=True))
    titles = rows[0]
    ours = next(r for r in rows[1:] if r[0] == site_id)
    assert ours[titles.index("Marchés réservés")] == VERIFIED
    assert ours[titles.index("SIAE : n° de conventionnement")] == "035-ACI-2024-12"
    assert ours[titles.index("SIAE : statut")] == "verified"


def test_revoking_leaves_the_status_declared_and_out_of_the_verified_filter(client, demo_service,
                                                                            moderation_accounts, sign_in):
    site_id = declared_by_a_contributor(client, demo_service, moderation_accounts, sign_in)
    csrf = sign_in(client, moderation_accounts["reso"])
    url = f"/api/moderation/sites/{site_id}/reserved-statuses/siae"
    assert client.post(f"{url}/revocation", headers={"X-CSRF-Token": csrf}).status_code == 409  # nothing to revoke
    verified = client.post(f"{url}/verification", json=PROOF, headers={"X-CSRF-Token": csrf})
    assert verified.status_code == 200 and verified.json()["labels"] == [VERIFIED]
    assert NAME in supplier_names(client, reserved_verified="true")
    revoked = client.post(f"{url}/revocation", headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 200 and revoked.json()["labels"] == [DECLARED]
    assert NAME not in supplier_names(client, reserved_verified="true")
    assert NAME in supplier_names(client, reserved="siae")
    history = client.get(f"/api/moderation/sites/{site_id}/history").json()["versions"]  # newest first
    assert [v["action"] for v in history[:2]] == ["verification", "verification"]
    assert history[0]["changes"]["siae_verification"][1] is None


def test_an_esat_is_verified_by_its_finess_number_and_bad_proofs_name_their_field(client, demo_service,
                                                                                  moderation_accounts, sign_in):
    site_id = declared_by_a_contributor(client, demo_service, moderation_accounts, sign_in)
    csrf = sign_in(client, moderation_accounts["reso"])
    url = f"/api/moderation/sites/{site_id}/reserved-statuses/ea_esat/verification"
    esat = {"kind": "esat", "authority": "ARS Bretagne", "document_date": "2025-01-06"}
    for body, field in (({**esat, "number": "35001234"}, "number"),  # FINESS: 9 characters
                        ({**esat, "kind": "siae", "number": "350012345"}, "kind"),
                        ({**esat, "number": "350012345", "document_date": "2999-01-01"}, "document_date"),
                        ({**esat, "authority": " ", "number": "350012345"}, "authority")):
        refused = client.post(url, json=body, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 422, body
        assert refused.json()["errors"][0]["loc"][-1] == field
    done = client.post(url, json={**esat, "number": "35 001 234 5"}, headers={"X-CSRF-Token": csrf})
    assert done.json()["labels"] == [DECLARED, "ESAT — vérifié (ARS Bretagne, FINESS n° 350012345, 06/01/2025)"]
    properties = client.get(f"/api/sites/{site_id}").json()["properties"]
    assert (properties["ea_esat"], properties["ea_esat_statut"], properties["ea_esat_type"]) == (True, "verified",
                                                                                                 "esat")


def test_the_form_suggests_a_source_only_where_the_kind_of_document_leaves_no_doubt(client, demo_service,
                                                                                   moderation_accounts, sign_in):
    site_id = declared_by_a_contributor(client, demo_service, moderation_accounts, sign_in)
    sign_in(client, moderation_accounts["reso"])
    page = client.get(f"/moderation/sites/{site_id}").text
    assert 'id="authority-siae" name="authority" value="DREETS"' in page  # a SIAE: always the DREETS
    # An EA answers to the DREETS, an ESAT to the ARS: no default the moderator might leave wrong.
    assert 'id="authority-ea_esat" name="authority" value="" placeholder="DREETS (EA) ou ARS (ESAT)"' in page


def test_unticking_a_verified_status_drops_its_proof_and_ticking_again_only_declares(demo_service):
    from carto.directory import sites
    from carto.storage.db import session_scope
    from tests.helpers import add
    proof = reserved_status.proof("siae", kind=None, verified_by="user:1", verified_at=date(2026, 4, 1), **PROOF)
    with session_scope(demo_service.engine) as session:
        site = add(demo_service, session, "Régie de quartier", siae=True)
        sites.set_verification(session, site, "siae", proof, actor="user:1")
        sites.update(session, site, {"siae": False}, demo_service.locator, actor="contribution:9")
        assert site.siae_verification is None
        sites.update(session, site, {"siae": True}, demo_service.locator, actor="contribution:10")
        assert reserved_status.labels(site) == [DECLARED]


@pytest.mark.parametrize("number", ["", "n°/12", "x" * 41])
def test_a_moderators_proof_needs_a_readable_number(number):
    with pytest.raises(reserved_status.ProofError) as refused:
        reserved_status.proof("siae", kind="siae", authority="DREETS", number=number, document_date="2026-01-02",
                              verified_by="user:1", verified_at=date(2026, 4, 1))
    assert refused.value.field == "number"


# --- Imports: a register trusted for a status verifies it; any other file only declares ----------

REGISTER = """Identifiant;Nom;Catégories;Commune;Conventionnement;Date
S1;Régie de quartier de Brest;Ressourcerie;29019;EI-029-2025-0042;12/03/2026
S2;Chantier vélo de Carhaix;Atelier vélo;29024;;
S3;Atelier d'insertion de Rennes;Ressourcerie;35238;n°??;2026-01-15
"""
REGISTER_MAPPING = """source: siae-dreets
key: Identifiant
fields: {name: Nom, commune_code: Commune, siae_number: Conventionnement, siae_document_date: Date}
constants: {siae: true}
authoritative: {siae: DREETS Bretagne}
activities: {from: Catégories, values: {Ressourcerie: [reemploi], Atelier vélo: [velo]}}
csv: {delimiter: ";"}
"""
DIRECTORY = """Identifiant;Nom;Catégories;Commune;SIAE
D1;Recyclerie de Quimper;Ressourcerie;29232;oui
"""
DIRECTORY_MAPPING = """source: annuaire
key: Identifiant
fields: {name: Nom, commune_code: Commune, siae: SIAE}
activities: {from: Catégories, values: {Ressourcerie: [reemploi]}}
csv: {delimiter: ";"}
"""


def import_text(service, tmp_path, name: str, text: str, mapping_text: str):
    from carto.importers import run_import
    (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    (tmp_path / f"{name}.yaml").write_text(mapping_text, encoding="utf-8")
    return run_import(service, tmp_path / f"{name}.csv", "csv", mapping=tmp_path / f"{name}.yaml")


def labels_by_key(service, source: str) -> dict[str, list[str]]:
    with service.session() as session:
        return {s.source_key: reserved_status.labels(s) for s in session.exec(select(Site).where(Site.source == source))}


def test_a_register_trusted_for_a_status_verifies_it_and_the_summary_counts_both(service, tmp_path):
    from carto.importers import summary
    report = import_text(service, tmp_path, "registre", REGISTER, REGISTER_MAPPING)
    assert (report.created, report.verified, report.declared) == (3, 2, 1)
    assert "  statuts SIAE ou EA/ESAT vérifiés (registre faisant foi) : 2" in summary.lines(report)
    assert any("SIAE importé comme déclaré, non vérifié : numéro illisible" in w for _, w in report.warnings)
    assert labels_by_key(service, "siae-dreets") == {
        "S1": ["SIAE — vérifié (DREETS Bretagne, n° EI-029-2025-0042, 12/03/2026)"],
        "S2": [f"SIAE — vérifié (DREETS Bretagne, {date.today():%d/%m/%Y})"],  # no number or date in the file
        "S3": [DECLARED]}
    with service.session() as session:
        proof = session.exec(select(Site).where(Site.source_key == "S1")).one().siae_verification
    assert (proof["verified_by"], proof["verified_at"]) == ("import:siae-dreets", date.today().isoformat())

    again = import_text(service, tmp_path, "registre", REGISTER, REGISTER_MAPPING)
    assert (again.unchanged, again.verified, again.declared) == (3, 0, 0)  # listed again: nothing new

    other = import_text(service, tmp_path, "annuaire", DIRECTORY, DIRECTORY_MAPPING)
    assert (other.created, other.verified, other.declared) == (1, 0, 1)
    assert labels_by_key(service, "annuaire") == {"D1": [DECLARED]}


def test_a_proof_column_needs_a_register_trusted_for_its_status(service, tmp_path):
    from carto.importers import ImportFileError
    with pytest.raises(ImportFileError, match="siae_number : seulement pour un registre qui fait foi"):
        import_text(service, tmp_path, "annuaire", DIRECTORY,
                    DIRECTORY_MAPPING.replace("siae: SIAE}", "siae: SIAE, siae_number: SIAE}"))


def test_a_moderators_verification_survives_the_reimport_of_an_ordinary_directory(service, tmp_path):
    from carto.community import moderation, users
    from carto.importers import conflicts
    from carto.storage.db import session_scope
    from carto.storage.models import User
    import_text(service, tmp_path, "annuaire", DIRECTORY, DIRECTORY_MAPPING)
    with session_scope(service.engine) as session:
        user = User(email="moderatrice@exemple.org", password_hash="x")
        session.add(user)
        session.flush()
        user_id = user.id
        site = session.exec(select(Site).where(Site.source_key == "D1")).one()
        moderation.verify_reserved(session, user, site, "siae", kind="siae", **PROOF)
    changed = DIRECTORY.replace("Recyclerie de Quimper;", "Recyclerie de Quimper-Cornouaille;")
    report = import_text(service, tmp_path, "annuaire", changed, DIRECTORY_MAPPING)
    assert (report.updated, report.conflicts, report.declared, report.verified) == (1, 0, 0, 0)
    assert labels_by_key(service, "annuaire") == {"D1": [VERIFIED]}
    unticked = import_text(service, tmp_path, "annuaire", changed.replace(";oui", ";non"), DIRECTORY_MAPPING)
    assert unticked.conflicts == 1  # the source now says « not SIAE »: a moderator decides, nothing is dropped
    assert labels_by_key(service, "annuaire") == {"D1": [VERIFIED]}
    with session_scope(service.engine) as session:
        row = conflicts.conflict_rows(session, users.Scope(everything=True), service)[0]
        assert (row.label, row.ours, row.theirs) == ("Structure d'insertion (SIAE)", VERIFIED, "non")
        conflicts.decide_conflict(session, service, session.get(User, user_id), users.Scope(everything=True), row.conflict.id, apply=True)
    assert labels_by_key(service, "annuaire") == {"D1": []}  # the moderator took the source's word


def test_a_change_unticking_a_verified_status_warns_the_moderator_before_it_drops_the_proof(
        client, demo_service, moderation_accounts, sign_in):
    from tests.helpers import propose_change
    site_id = declared_by_a_contributor(client, demo_service, moderation_accounts, sign_in)
    csrf = sign_in(client, moderation_accounts["reso"])
    client.post(f"/api/moderation/sites/{site_id}/reserved-statuses/siae/verification", json=PROOF,
                headers={"X-CSRF-Token": csrf})
    change = propose_change(demo_service, site_id, siae=False)
    page = client.get(f"/moderation/propositions/{change.id}").text
    assert f"Accepter retire ce statut vérifié : {VERIFIED}" in page
    assert decide(client, csrf, change.id, "accept").status_code == 200
    properties = client.get(f"/api/sites/{site_id}").json()["properties"]
    assert (properties["siae"], properties["siae_statut"]) == (False, None)
    history = client.get(f"/api/moderation/sites/{site_id}/history").json()["versions"]
    assert history[0]["changes"]["siae_verification"][1] is None and history[0]["changes"]["siae"] == [True, False]
