"""One owner of every site write: ``carto.directory.sites`` and ``carto.directory.bulk``.

Every test of the suite runs under the guard of ``tests/write_owner.py`` (an autouse fixture in
``tests/conftest.py``); these tests show that the guard catches what it must, and that the source
holds no write of the sites' tables outside their owners.
"""
import re

from sqlalchemy import text

from tests.write_owner import CARTO, WriteGuard, is_owner

SITE_TABLES = r"(?:Site|SiteActivity|SiteVersion|SITE|Site\.__table__|SiteActivity\.__table__|SiteVersion\.__table__)"
# Core statements on the sites' tables, their ORM objects added, or the text index's table named.
WRITES = re.compile(rf"\b(?:update|delete|insert)\(\s*{SITE_TABLES}\b|\bsite_fts\b|{SITE_TABLES}\.insert\(\)")


def test_a_module_that_writes_sites_itself_is_caught(service, write_guard):
    """The same statement passes from the write path and fails from any other module."""
    def run_as(path):
        code = compile("session.execute(statement)", str(path), "exec")
        with service.session() as session:
            exec(code, {"session": session, "statement": text("UPDATE site SET name = name WHERE id = -1")})
            session.rollback()

    write_guard.take_foreign()
    run_as(CARTO / "directory" / "bulk.py")
    assert write_guard.take_foreign() == []
    run_as(CARTO / "importers" / "pipeline.py")
    assert [f.split(" :")[0] for f in write_guard.take_foreign()] == ["carto/importers/pipeline.py écrit site"]


def test_no_module_but_the_owners_names_a_write_of_the_sites_tables():
    writers = []
    for path in sorted(CARTO.rglob("*.py")):
        if is_owner(path):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WRITES.search(line):
                writers.append(f"{path.relative_to(CARTO.parent)}:{number}: {line.strip()}")
    assert writers == []


def test_the_guard_reads_every_form_of_write():
    class Connection:
        class engine:
            class url:
                database = "x"

    def written(statement: str) -> bool:
        guard = WriteGuard()
        guard(Connection, None, statement, (), None, False)
        return guard.by_tests == {"x"} and guard.foreign == []  # a test's own SQL: noted, not foreign

    for statement in ('INSERT INTO site (name) VALUES (?)', 'UPDATE siteactivity SET status=?',
                      'DELETE FROM siteversion WHERE id = 1', 'INSERT INTO site_fts(rowid, body) VALUES (?, ?)',
                      'update "site" set name = 1', 'INSERT OR REPLACE INTO site (id) VALUES (1)'):
        assert written(statement), statement
    for statement in ("UPDATE importstate SET run_id = 1", "SELECT * FROM site", "INSERT INTO sitemap VALUES (1)"):
        assert not written(statement), statement
