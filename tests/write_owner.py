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
_WRITE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?'
                    r'(siteactivity|siteversion|site_fts|site)\b', re.IGNORECASE)


def is_owner(path: Path) -> bool:
    return path in OWNERS or any(d in path.parents for d in OWNER_DIRS)


def writer_of_statement() -> Path | None:
    """The innermost module of the package on the stack, unless an owner is on it too (a migration
    filling derived columns with the code that computes them); None: a test's own SQL."""
    frame, writer = sys._getframe(1), None
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(CARTO):
            if is_owner(path):
                return None
            writer = writer or path
        frame = frame.f_back
    return writer


class WriteGuard:
    """Listens to every statement of every engine (``before_cursor_execute``)."""

    def __init__(self):
        self.foreign: list[str] = []  # "module: statement" of writes by modules that do not own them
        self.written: set[str] = set()  # names of the databases whose sites were written (file or database)

    def __call__(self, conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        match = _WRITE.match(statement)
        if match is None:
            return
        self.written.add(conn.engine.url.database)
        writer = writer_of_statement()
        if writer is not None:
            self.foreign.append(f"{writer.relative_to(CARTO.parent)} écrit {match.group(1)} : {statement[:100]}")

    def take_foreign(self) -> list[str]:
        foreign, self.foreign = self.foreign, []
        return foreign
