"""The data version: an explicit counter moved in the same transaction by every writer of public
output, which ETags, the response store and every process's caches follow."""
import csv

import pytest

from carto.directory import sites
from carto.directory.service import Service
from carto.directory.site_schema import SiteData
from carto.storage import backup, freshness
from carto.storage.db import session_scope
from carto.storage.models import Pole, Site
from carto.territory import locator, poles
from tests.helpers import GEODATA, make_client, opened_copy

RENNES = (-1.6778, 48.1173)


def version(service) -> str:
    with service.session() as session:
        return freshness.data_version(session)


def write_poles_table(path, change) -> None:
    """The reference pôles table with ``change(row)`` applied to each row."""
    with open(GEODATA / poles.POLES_TABLE, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        change(row)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_reads_keep_the_version_and_a_site_write_moves_it(service):
    first = version(service)
    assert version(service) == first
    with session_scope(service.engine) as session:
        site_id = sites.create(session, SiteData(name="Atelier", activities=["velo"], lon=RENNES[0], lat=RENNES[1]),
                               service.locator, actor="test").id
    second = version(service)
    assert second != first
    with session_scope(service.engine) as session:
        sites.update(session, session.get(Site, site_id), {"name": "Atelier vélo"}, service.locator, actor="t")
    assert version(service) not in (first, second)


@pytest.mark.postgis
def test_a_read_request_reads_outside_any_transaction_and_an_export_streams_in_one(service):
    from psycopg.pq import TransactionStatus
    with service.read_session() as session:  # the session of a read request (carto.api.http_cache)
        freshness.answering_for_current(session)
        assert session.connection().connection.driver_connection.info.transaction_status == TransactionStatus.IDLE
    with service.session() as session:  # an export's: its server-side cursor needs a transaction
        freshness.answering_for_current(session)
        assert session.connection().connection.driver_connection.info.transaction_status == TransactionStatus.INTRANS


def test_a_write_rolled_back_leaves_the_version(service):
    before = version(service)
    with service.session() as session:
        sites.create(session, SiteData(name="Atelier", activities=["velo"], lon=RENNES[0], lat=RENNES[1]),
                     service.locator, actor="test")
        session.rollback()
    assert version(service) == before


def test_a_renamed_pole_is_served_at_once_not_replayed(demo_service, tmp_path):
    """A rename keeps every count and length: a checksum missed it, the counter does not."""
    table = tmp_path / "poles.csv"
    write_poles_table(table, lambda row: row.update(nom=row["nom"].replace("RÉSO", "ROSE")))
    with make_client(demo_service) as client:
        first = client.get("/api/poles", params={"geometry": "false"})
        assert "RÉSO solidaire" in first.text
        from carto.directory import bootstrap
        bootstrap.load_poles(demo_service, table)
        again = client.get("/api/poles", params={"geometry": "false"}, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 200 and again.headers["etag"] != first.headers["etag"]
        assert "ROSE solidaire" in again.text and "RÉSO solidaire" not in again.text


def test_swapping_the_coverage_of_two_poles_moves_the_version(service):
    with session_scope(service.engine) as session:
        pays_a = session.get(Pole, "reso-solidaire").coverage_pays
        pays_b = session.get(Pole, "adess-pays-de-brest").coverage_pays
    before = version(service)
    with session_scope(service.engine) as session:
        poles.set_coverage(session, "reso-solidaire", pays=pays_b)
        poles.set_coverage(session, "adess-pays-de-brest", pays=pays_a)
    assert version(service) != before
    assert "adess-pays-de-brest" in service.locator.locate(*RENNES).poles


def test_poles_load_updates_every_column_of_its_table(service, tmp_path):
    table = tmp_path / "poles.csv"

    def contact(row):
        row.update(email=f"contact@{row['pole_id']}.example", telephone="02 99 00 00 00",
                   site_web=f"https://{row['pole_id']}.example", adresse="1 place de la Mairie")
    write_poles_table(table, contact)
    from carto.directory import bootstrap
    bootstrap.load_poles(service, table)
    with service.session() as session:
        pole = session.get(Pole, "reso-solidaire")
    assert (pole.email, pole.phone, pole.website, pole.address) == (
        "contact@reso-solidaire.example", "02 99 00 00 00", "https://reso-solidaire.example", "1 place de la Mairie")
    write_poles_table(table, lambda row: None)  # a table without these columns leaves them as they are
    bootstrap.load_poles(service, table)
    with service.session() as session:
        assert session.get(Pole, "reso-solidaire").email == "contact@reso-solidaire.example"


def test_another_process_follows_a_pole_coverage_change(service):
    """A server process (its own service, its locator built before) answers with the new coverage."""
    other = Service.open(service.settings)
    at_rennes = {"lon": RENNES[0], "lat": RENNES[1]}
    try:
        with make_client(other) as client:
            assert "reso-solidaire" in [p["id"] for p in client.get("/api/poles/at", params=at_rennes).json()["poles"]]
            with session_scope(service.engine) as session:
                poles.set_coverage(session, "reso-solidaire", pays=["02"])  # the pays de Brest
            assert "reso-solidaire" not in [p["id"] for p in client.get("/api/poles/at", params=at_rennes).json()["poles"]]
    finally:
        other.engine.dispose()


def test_a_restored_backup_never_answers_with_an_etag_of_other_data(service, tmp_path):
    if service.engine.dialect.name == "postgresql":
        import shutil
        import pytest
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump absent")
    saved = backup.backup(service.engine, tmp_path / "saved.bak")
    at_backup = version(service)
    with session_scope(service.engine) as session:
        sites.create(session, SiteData(name="Atelier", activities=["velo"], lon=RENNES[0], lat=RENNES[1]),
                     service.locator, actor="test")
    backup.restore(service.engine, saved)
    assert version(service) != at_backup


def test_an_edited_taxonomy_is_served_by_every_process_once_loaded(service, monkeypatch, tmp_path):
    """Two server processes (two services, one database) serve the taxonomy file as edited from the
    request after ``carto taxonomy load``, its new synonym found, without a restart."""
    import shutil
    from carto.core import settings as settings_module
    from carto.directory import bootstrap
    from tests.helpers import add
    geodata = tmp_path / "geodata"
    shutil.copytree(settings_module.PROJECT_GEODATA, geodata)
    monkeypatch.setattr(settings_module, "PROJECT_GEODATA", geodata)
    with session_scope(service.engine) as session:
        add(service, session, "Atelier du Thabor")
    other = Service.open(service.settings)
    try:
        with make_client(other) as client:
            def label() -> str:
                domains = client.get("/api/taxonomy").json()["domains"]
                return next(a["label"] for d in domains for a in d["activities"] if a["slug"] == "velo")

            def found(q: str) -> int:
                return client.get("/api/sites", params={"q": q}).json()["total"]

            assert (label(), found("biclou")) == ("Atelier et réemploi de vélos", 0)
            taxonomy_file = geodata / "taxonomy.yaml"
            taxonomy_file.write_text(taxonomy_file.read_text(encoding="utf-8").replace(
                "label: Atelier et réemploi de vélos, icon: bicycle,\n         synonyms: [bicyclette,",
                "label: Vélos d'occasion, icon: bicycle,\n         synonyms: [biclou, bicyclette,"), encoding="utf-8")
            assert label() == "Atelier et réemploi de vélos"  # edited, not loaded yet: served as it was
            before = version(service)
            assert bootstrap.load_taxonomy(service) == 1
            assert version(service) != before
            assert (label(), found("biclou")) == ("Vélos d'occasion", 1)
    finally:
        other.engine.dispose()
    assert service.taxonomy.activity("velo").label == "Vélos d'occasion"  # the loading process too
    monkeypatch.undo()  # the project's file again, loaded back like any edit
    bootstrap.load_taxonomy(service)
    assert service.taxonomy.activity("velo").label == "Atelier et réemploi de vélos"


class Answer:
    """An answer kept per data version (weakly referable, so the test can see it go)."""


def test_what_a_process_keeps_for_a_database_goes_with_its_engine(test_databases, reference_db, tmp_path):
    """A process opening databases in turn (the test suite: one per test) kept each one's locator
    (~8 MB of commune outlines) and answers for as long as it lived: 6 GB per round by the end of CI."""
    import gc
    import weakref
    copy = opened_copy(test_databases, reference_db, tmp_path)
    service = next(copy)
    with service.session() as session:
        kept_locator = weakref.ref(locator.current(session))
        kept_answer = weakref.ref(freshness.per_version(session, ("test",), Answer))
    gc.collect()
    with service.session() as session:  # kept while the engine lives: served again, not rebuilt
        assert locator.current(session) is kept_locator()
        assert freshness.per_version(session, ("test",), Answer) is kept_answer()
    del service, session
    next(copy, None)  # the engine disposed, the database dropped
    gc.collect()
    assert kept_locator() is None and kept_answer() is None
