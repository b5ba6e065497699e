"""Reader of any CSV file whose columns a mapping file names (``carto.importers.mapping``)."""
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from carto.importers import mapping as mapping_file
from carto.importers.records import ImportFileError, Record, Skip

UNIT = "ligne"
DELIMITERS = ",;\t|"
ENCODING_HINT = "UTF-8 (un autre encodage se donne dans la correspondance : csv: {encoding: latin-1})"


def read(stream: BinaryIO, mapping: mapping_file.FieldMapping) -> Iterator[Record | Skip]:
    if not mapping.key:
        raise ImportFileError("la correspondance doit nommer la colonne identifiant (clé « key »)")
    with text_of(stream, mapping.csv.get("encoding", "utf-8-sig")) as text:
        try:
            header = text.readline()
            delimiter = mapping.csv.get("delimiter") or max(DELIMITERS, key=header.count)
            columns = next(csv.reader([header], delimiter=delimiter), [])
            _check_columns(columns, mapping)
            reader = csv.DictReader(text, fieldnames=columns, delimiter=delimiter)
            next_line = 2
            for row in reader:
                yield mapping_file.to_record(row, next_line, mapping)
                next_line = reader.line_num + 2  # the header is line 1
        except UnicodeDecodeError:
            raise ImportFileError(f"le fichier n'est pas du texte {ENCODING_HINT}") from None
        except csv.Error as e:
            raise ImportFileError(f"CSV illisible : {e}") from None


@contextmanager
def text_of(stream: BinaryIO, encoding: str) -> Iterator[io.TextIOWrapper]:
    """The binary stream as text, handed back open (the caller reads its position for progress)."""
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield text
    finally:
        text.detach()


def _check_columns(columns: list[str], mapping: mapping_file.FieldMapping) -> None:
    named = [mapping.key, *mapping.categories_from, *(p for paths in mapping.fields.values() for p in paths)]
    absent = [c for c in dict.fromkeys(named) if c not in columns]
    if absent:
        raise ImportFileError(f"colonnes absentes du fichier : {', '.join(absent)} "
                              f"(colonnes présentes : {', '.join(columns)})")
