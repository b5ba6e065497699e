"""Imports of sites from other directories: LVAO (ADEME), any CSV or GeoJSON with a mapping
file, and GoGoCarto exports. ``run_import`` reads a file with the format's reader and hands the
rows to the batch pipeline (``carto.importers.pipeline``); conflicts with moderators' corrections
are listed and resolved with ``carto.importers.conflicts``.
"""
from contextlib import closing
from pathlib import Path
from typing import BinaryIO

from carto.context import Carto
from carto.importers import csv_generic, geojson, gogocarto, lvao
from carto.importers import mapping as mapping_file
from carto.importers.pipeline import BATCH_SIZE, ImportReport, Pipeline, Progress
from carto.importers.records import REASONS, ImportFileError, Skip

FORMATS = {"lvao": lvao, "csv": csv_generic, "geojson": geojson, "gogocarto": gogocarto}

__all__ = ["FORMATS", "REASONS", "ImportFileError", "ImportReport", "Skip", "run_import"]


def run_import(carto: Carto, file: Path | BinaryIO, fmt: str, *, mapping: Path | None = None,
               source: str | None = None, dry_run: bool = False, actor: str | None = None,
               filename: str | None = None, progress: Progress | None = None,
               batch_size: int = BATCH_SIZE) -> ImportReport:
    """Import a file (a path or a binary stream) of format ``fmt``; raises ``ImportFileError``
    when the file or the mapping cannot be read at all."""
    reader = FORMATS.get(fmt)
    if reader is None:
        raise ImportFileError(f"format inconnu « {fmt} » (possibles : {', '.join(FORMATS)})")
    if fmt == "lvao":
        rules = lvao.load_mapping(mapping, carto.taxonomy)
    elif mapping is None:
        raise ImportFileError(f"le format {fmt} demande un fichier de correspondance (--mapping)")
    else:
        rules = mapping_file.load(mapping, carto.taxonomy)
    source = source or rules.source or fmt
    report = ImportReport(source=source, format=fmt, unit=reader.UNIT, dry_run=dry_run)
    pipeline = Pipeline(carto, report, actor=actor or f"import:{source}", batch_size=batch_size)
    if not isinstance(file, Path):
        with closing(reader.read(file, rules)) as rows:  # a reader stopped early lets go of the stream
            return pipeline.run(rows, filename or "", progress)
    try:
        stream = file.open("rb")
    except OSError as e:
        raise ImportFileError(f"fichier illisible : {e}") from None
    with stream, closing(reader.read(stream, rules)) as rows:
        return pipeline.run(rows, filename or file.name, progress)
