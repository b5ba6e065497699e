"""The file formats an import reads, each a reader module with its mapping rules."""
from pathlib import Path
from types import ModuleType

from carto.importers import csv_generic, geojson, gogocarto, lvao
from carto.importers import mapping as mapping_file
from carto.importers.records import ImportFileError
from carto.core.taxonomy import Taxonomy

FORMATS = {"lvao": lvao, "csv": csv_generic, "geojson": geojson, "gogocarto": gogocarto}


def open_format(fmt: str, mapping: Path | None, taxonomy: Taxonomy) -> tuple[ModuleType, object]:
    """The reader module of ``fmt`` and its loaded mapping rules (LVAO has a default mapping)."""
    reader = FORMATS.get(fmt)
    if reader is None:
        raise ImportFileError(f"format inconnu « {fmt} » (possibles : {', '.join(FORMATS)})")
    if fmt == "lvao":
        return reader, lvao.load_mapping(mapping, taxonomy)
    if mapping is None:
        raise ImportFileError(f"le format {fmt} demande un fichier de correspondance (--mapping)")
    return reader, mapping_file.load(mapping, taxonomy)
