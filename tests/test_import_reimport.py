"""Re-importing a source: updates by (source, key), moderators' corrections kept, gone rows flagged."""
import pytest
from sqlmodel import select

from carto.directory import sites
from carto.storage.db import session_scope
from carto.importers import ImportFileError, conflicts
from carto.storage.models import ImportConflictStatus, SiteVersion
from tests.helpers import (ALRE, CAP, FRANKLIN, POULBENN, RELAIS, count, import_lvao, sample_rows, site,
                           variant, write_lvao)


def correct_by_hand(service, key: str, **changes) -> None:
    with session_scope(service.engine) as session:
        sites.update(session, site(session, key), changes, service.locator, actor="user:1")


def test_a_changed_row_updates_its_site_with_history(service, tmp_path):
    import_lvao(service)
    path = variant(tmp_path, **{CAP: {"nom_commercial": "Cap Ressourcerie Crach", "site_web": "https://cap.example.org"}})
    report = import_lvao(service, path)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 6)
    with service.session() as session:
        cap = site(session, CAP)
        assert (cap.name, cap.website, cap.version) == ("Cap Ressourcerie Crach", "https://cap.example.org", 2)
        last = sites.history(session, cap.id)[-1]
        assert (last.action, last.actor) == ("import", "import:lvao")
        assert last.changes["name"] == ["Cap Ressourcerie", "Cap Ressourcerie Crach"]
        assert count(session, "site") == 7


def test_a_moved_point_moves_the_site_to_its_new_commune(service, tmp_path):
    import_lvao(service)
    import_lvao(service, variant(tmp_path, **{POULBENN: {"latitude": "47.663279", "longitude": "-3.012808"}}))
    with service.session() as session:
        assert site(session, POULBENN).commune_code == "56007"


def test_a_field_corrected_by_a_moderator_is_kept_and_the_disagreement_queued(service, tmp_path):
    import_lvao(service)
    correct_by_hand(service, CAP, name="Cap Ressourcerie (Crach)")
    path = variant(tmp_path, **{CAP: {"nom_commercial": "CAP RESSOURCERIE", "site_web": "https://cap.example.org"}})
    report = import_lvao(service, path)
    assert (report.updated, report.conflicts) == (1, 1)
    with service.session() as session:
        cap = site(session, CAP)
        assert (cap.name, cap.website) == ("Cap Ressourcerie (Crach)", "https://cap.example.org")
        [conflict] = conflicts.open_conflicts(session)
        assert (conflict.site_id, conflict.field, conflict.source) == (cap.id, "name", "lvao")
        assert (conflict.current, conflict.incoming) == ("Cap Ressourcerie (Crach)", "CAP RESSOURCERIE")
    again = import_lvao(service, path)  # the same file: nothing new to ask
    assert (again.unchanged, again.conflicts) == (7, 0)


def test_a_correction_stays_silently_while_the_source_keeps_its_old_value(service, tmp_path):
    import_lvao(service)
    correct_by_hand(service, CAP, name="Cap Ressourcerie (Crach)")
    report = import_lvao(service, variant(tmp_path, **{CAP: {"site_web": "https://cap.example.org"}}))
    assert (report.updated, report.conflicts) == (1, 0)
    with service.session() as session:
        assert site(session, CAP).name == "Cap Ressourcerie (Crach)"
        assert conflicts.open_conflicts(session) == []


def test_a_kept_correction_is_not_asked_again_when_other_fields_change(service, tmp_path):
    import_lvao(service)
    correct_by_hand(service, CAP, name="Cap Ressourcerie (Crach)")
    import_lvao(service, variant(tmp_path, "v1.csv", **{CAP: {"nom_commercial": "CAP RESSOURCERIE"}}))
    with session_scope(service.engine) as session:
        [conflict] = conflicts.open_conflicts(session)
        conflicts.resolve(session, conflict.id, apply=False, actor="user:1", locator=service.locator)
    report = import_lvao(service, variant(tmp_path, "v2.csv", **{CAP: {"nom_commercial": "CAP RESSOURCERIE",
                                                                       "site_web": "https://cap.example.org"}}))
    assert (report.updated, report.conflicts) == (1, 0)
    with service.session() as session:
        assert site(session, CAP).name == "Cap Ressourcerie (Crach)"
        assert conflicts.open_conflicts(session) == []


def test_applying_a_conflict_writes_the_source_value_in_the_moderator_name(service, tmp_path):
    import_lvao(service)
    correct_by_hand(service, RELAIS, lon=-2.9890, lat=47.6640)
    path = variant(tmp_path, **{RELAIS: {"latitude": "47.6625", "longitude": "-2.9875"}})
    import_lvao(service, path)
    with session_scope(service.engine) as session:
        [conflict] = conflicts.open_conflicts(session, source="lvao")
        assert conflict.field == "position"
        assert conflict.incoming == {"lon": -2.9875, "lat": 47.6625, "position_precision": "address"}
        conflict_id = conflict.id
        resolved = conflicts.resolve(session, conflict_id, apply=True, actor="user:7", locator=service.locator)
        assert (resolved.status, resolved.resolved_by) == (ImportConflictStatus.applied, "user:7")
    with service.session() as session:
        relais = site(session, RELAIS)
        assert (relais.lon, relais.lat) == (-2.9875, 47.6625)
        assert sites.history(session, relais.id)[-1].actor == "user:7"
        with pytest.raises(conflicts.ConflictError):
            conflicts.resolve(session, conflict_id, apply=True, actor="user:7", locator=service.locator)
    assert import_lvao(service, path).unchanged == 7


def test_rows_gone_from_the_source_are_flagged_for_moderators_not_deleted(service, tmp_path):
    import_lvao(service)
    fewer = [r for r in sample_rows() if r["identifiant"] not in (ALRE, FRANKLIN)]
    report = import_lvao(service, write_lvao(tmp_path / "fewer.csv", fewer))
    assert (report.missing, report.unchanged) == (2, 5)
    with service.session() as session:
        assert count(session, "site") == 7
        assert [s.source_key for s in conflicts.missing_sites(session, "lvao")] == [ALRE, FRANKLIN]
        flagged = {s.source_key: s.missing_from_source_at for s in conflicts.missing_sites(session, "lvao")}
    again = import_lvao(service, tmp_path / "fewer.csv")  # still gone: flagged already, not again
    assert (again.missing, again.unchanged) == (0, 5)
    with service.session() as session:
        assert {s.source_key: s.missing_from_source_at for s in conflicts.missing_sites(session, "lvao")} == flagged
    back = import_lvao(service)
    assert (back.reappeared, back.missing) == (2, 0)
    with service.session() as session:
        assert conflicts.missing_sites(session) == []


def test_an_empty_file_flags_nothing(service, tmp_path):
    import_lvao(service)
    with pytest.raises(ImportFileError, match="aucune ligne"):
        import_lvao(service, write_lvao(tmp_path / "empty.csv", []))
    with service.session() as session:
        assert conflicts.missing_sites(session) == []


def test_a_site_saved_meanwhile_is_read_again_not_overwritten(service, tmp_path, monkeypatch):
    """Between the read of a batch and its write, a moderator saves a site: the batch starts over."""
    import_lvao(service)
    from carto.importers import pipeline
    original, calls = pipeline.Pipeline._plan_updates, []

    def moderator_saves_meanwhile(self, session, changed, stored, outcome):
        plans = original(self, session, changed, stored, outcome)
        if not calls:
            calls.append(1)
            correct_by_hand(service, CAP, name="Cap Ressourcerie (Crach)")
        return plans

    monkeypatch.setattr(pipeline.Pipeline, "_plan_updates", moderator_saves_meanwhile)
    report = import_lvao(service, variant(tmp_path, **{CAP: {"nom_commercial": "CAP RESSOURCERIE",
                                                          "site_web": "https://cap.example.org"}}))
    assert (report.updated, report.conflicts) == (1, 1)
    with service.session() as session:
        cap = site(session, CAP)
        assert (cap.name, cap.website) == ("Cap Ressourcerie (Crach)", "https://cap.example.org")
        assert len(session.exec(select(SiteVersion).where(SiteVersion.site_id == cap.id)).all()) == 3
