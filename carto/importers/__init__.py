"""Imports of sites from other directories: LVAO (ADEME), any CSV or GeoJSON with a mapping
file, and GoGoCarto exports. ``run_import`` reads a file with the format's reader and hands the
rows to the batch pipeline (``carto.importers.pipeline``); conflicts with moderators' corrections
are listed and resolved with ``carto.importers.conflicts``.
"""
import os
from contextlib import closing
from pathlib import Path
from typing import BinaryIO

from carto.core import licences
from carto.directory.service import Service
from carto.storage import source_licences
from carto.importers.formats import FORMATS, open_format
from carto.importers.pipeline import BATCH_SIZE, ImportReport, Pipeline, Progress
from carto.importers.prefetch import ReadAhead
from carto.importers.records import REASONS, ImportFileError, Skip
from carto.importers.validate import check

__all__ = ["FORMATS", "REASONS", "ImportFileError", "ImportReport", "Skip", "run_import"]
READ_AHEAD_MIN_BYTES = 4_000_000  # below, starting a second process costs more than it saves


def run_import(service: Service, file: Path | BinaryIO, fmt: str, *, mapping: Path | None = None,
               source: str | None = None, dry_run: bool = False, actor: str | None = None,
               filename: str | None = None, progress: Progress | None = None,
               batch_size: int = BATCH_SIZE, read_ahead: bool | None = None) -> ImportReport:
    """Import a file (a path or a binary stream) of format ``fmt``; raises ``ImportFileError``
    when the file or the mapping cannot be read at all.

    ``read_ahead``: parse and validate in a second process (a path only); by default for big
    files when a core is idle.
    """
    reader, rules = open_format(fmt, mapping, service.taxonomy)
    source = source or rules.source or fmt
    report = ImportReport(source=source, format=fmt, unit=reader.UNIT, dry_run=dry_run)
    if not dry_run:
        _record_licence(service, source, _licence(reader, rules, file))
    pipeline = Pipeline(service, report, actor=actor or f"import:{source}", batch_size=batch_size)
    if not isinstance(file, Path):
        with closing(reader.read(file, rules)) as rows:  # a reader stopped early lets go of the stream
            return pipeline.run((check(r) for r in rows), filename or "", progress, file.tell)
    try:
        size = file.stat().st_size
        stream = file.open("rb")
    except OSError as e:
        raise ImportFileError(f"fichier illisible : {e}") from None
    if read_ahead is None:
        read_ahead = size >= READ_AHEAD_MIN_BYTES and _spare_core()
    if read_ahead:
        stream.close()
        ahead = ReadAhead(file, fmt, mapping, service.settings.taxonomy_file, batch_size)
        try:
            return pipeline.run(ahead, filename or file.name, progress, lambda: ahead.position)
        finally:
            ahead.close()
    with stream, closing(reader.read(stream, rules)) as rows:
        return pipeline.run((check(r) for r in rows), filename or file.name, progress, stream.tell)


def _licence(reader, rules, file: Path | BinaryIO) -> str | None:
    """The licence the file states (GoGoCarto's ``licence`` member), else its mapping's."""
    stated = None
    if hasattr(reader, "file_licence"):
        try:
            if isinstance(file, Path):
                with file.open("rb") as stream:
                    stated = reader.file_licence(stream)
            else:
                stated = reader.file_licence(file)
        except OSError:
            stated = None  # unreadable: the import says so
    return stated or rules.licence


def _record_licence(service: Service, source: str, text: str | None) -> None:
    """Every record of ``source`` carries this licence into the exports (none stated: none recorded)."""
    licence = licences.recognise(text)
    if licence:
        with service.session() as session:
            source_licences.record(session, source, licence)
            session.commit()


def _spare_core() -> bool:
    """Whether a second process would have a core to itself (else both would only take turns)."""
    return os.getloadavg()[0] < (os.cpu_count() or 1) - 1
