"""Backups of the database (SQLite file or pg_dump archive) round-trip to identical data."""
import pytest
from sqlmodel import select

from carto.directory import sites

from carto.query import search

from carto.storage import backup
from carto.storage.models import Site, SiteVersion
from carto.query.search import SiteFilter


def dump(service) -> list:
    with service.session() as session:
        rows = [s.model_dump() for s in session.exec(select(Site).order_by(Site.id))]
        rows += [v.model_dump() for v in session.exec(select(SiteVersion).order_by(SiteVersion.id))]
        rows.append(sorted(s.id for s in search.find(session, SiteFilter(q="ressourcerie"), limit=1000).sites))
    return rows


def test_backup_then_restore_gives_back_identical_data(demo_service, tmp_path):
    before = dump(demo_service)
    saved = backup.backup(demo_service.engine, tmp_path / "save.db")
    with demo_service.session() as session:
        site = session.get(Site, 1)
        sites.update(session, site, {"name": "Changé après la sauvegarde"}, demo_service.locator, actor="t")
        session.commit()
    assert dump(demo_service) != before
    backup.restore(demo_service.engine, saved)
    assert dump(demo_service) == before


def test_backup_never_overwrites_and_restore_refuses_what_is_not_a_database(demo_service, tmp_path):
    saved = backup.backup(demo_service.engine, tmp_path / "save.db")
    with pytest.raises(backup.BackupError, match="existe déjà"):
        backup.backup(demo_service.engine, saved)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(backup.BackupError, match="pas une (base SQLite|sauvegarde pg_dump) lisible"):
        backup.restore(demo_service.engine, junk)
    with pytest.raises(backup.BackupError, match="introuvable"):
        backup.restore(demo_service.engine, tmp_path / "absent.db")
    assert len(dump(demo_service)) > 500  # untouched
