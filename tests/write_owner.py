"""The write guard of every test: only the write path writes the sites' tables.

``carto.directory.sites`` (one site) and ``carto.directory.bulk`` (batches) own every write of a site
and of its derived copies; ``carto.storage.search_index`` writes the text index they hand it, and
the migrations move data of old schemas. Any other module of the package issuing an INSERT,
UPDATE or DELETE on those tables with no owner on the stack is recorded here, and the test that made
it fails (``tests/conftest.py``). A test's own SQL (no module of the package on the stack) is its
business.
Databases whose sites were written are then checked by ``carto.directory.consistency``.
"""
import re
import sys
from pathlib import Path

import carto

CARTO = Path(carto.__file__).resolve().parent
OWNERS = {CARTO / "directory" / "sites.py", CARTO / "directory" / "bulk.py", CARTO / "storage" / "search_index.py"}
OWNER_DIRS = (CARTO / "storage" / "migrations",)
_WRITE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?'
                    r'(siteactivity|siteversion|siteword|site_fts|site)\b', re.IGNORECASE)


def is_owner(path: Path) -> bool:
    return path in OWNERS or any(d in path.parents for d in OWNER_DIRS)


def package_frames() -> list[Path]:
    """The modules of the package on the stack, innermost first ([]: a test's own SQL)."""
    frame, found = sys._getframe(1), []
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(CARTO):
            found.append(path)
        frame = frame.f_back
    return found


class WriteGuard:
    """Listens to every statement of every engine (``before_cursor_execute``)."""

    def __init__(self):
        self.foreign: list[str] = []  # "module: statement" of writes by modules that do not own them
        self.written: set[str] = set()  # names of the databases whose sites the package wrote (file or database)
        self.by_tests: set[str] = set()  # … and those a test wrote with its own SQL (its state, its business)

    def __call__(self, conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        match = _WRITE.match(statement)
        if match is None:
            return
        frames = package_frames()
        if not frames:
            self.by_tests.add(conn.engine.url.database)
            return
        self.written.add(conn.engine.url.database)
        # An owner on the stack: the write path, or a migration filling derived columns with its code.
        if not any(is_owner(path) for path in frames):
            self.foreign.append(f"{frames[0].relative_to(CARTO.parent)} écrit {match.group(1)} : {statement[:100]}")

    def should_check(self, database: str) -> bool:
        """Whether a database's sites were written by the package only (then they must be consistent)."""
        written, by_tests = database in self.written, database in self.by_tests
        self.written.discard(database)
        self.by_tests.discard(database)
        return written and not by_tests

    def take_foreign(self) -> list[str]:
        foreign, self.foreign = self.foreign, []
        return foreign
