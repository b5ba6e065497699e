"""Reader of any CSV file whose columns a mapping file names (``carto.importers.mapping``)."""
import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from carto.importers import mapping as mapping_file
from carto.importers.records import ImportFileError, Record, Skip

UNIT = "ligne"
DELIMITERS = ",;\t|"
CP1252_HINT = ("il semble enregistré par Excel en français (Windows-1252) : ajoutez à la correspondance "
               "csv: {encoding: cp1252}")
OTHER_HINT = "un autre encodage se donne dans la correspondance : csv: {encoding: cp1252}"
# The WHATWG Encoding Standard, which every browser follows: the labels of ISO-8859-1 name
# windows-1252. Read as true latin-1, French Excel's « Œ » and « œ » become control characters.
LATIN1_LABELS = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1", "iso-ir-100", "8859-1"}


def encoding_of(mapping: mapping_file.FieldMapping) -> str:
    name = str(mapping.csv.get("encoding", "utf-8-sig")).strip()
    return "cp1252" if name.lower().replace("_", "-") in LATIN1_LABELS else name


def read(stream: BinaryIO, mapping: mapping_file.FieldMapping) -> Iterator[Record | Skip]:
    if not mapping.key:
        raise ImportFileError("la correspondance doit nommer la colonne identifiant (clé « key »)")
    encoding = encoding_of(mapping)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportFileError(f"encodage inconnu dans la correspondance : « {encoding} » (exemples : utf-8, cp1252)") from None
    start = stream.tell()
    with text_of(stream, encoding) as text:
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
            raise ImportFileError(f"le fichier n'est pas du texte {_name(encoding)} : "
                                  f"{_hint(stream, start, encoding)}") from None
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


def _name(encoding: str) -> str:
    return "UTF-8" if codecs.lookup(encoding).name.startswith("utf-8") else encoding


def _hint(stream: BinaryIO, start: int, encoding: str) -> str:
    """Whether the file reads as French Excel writes it (cp1252), by its first megabyte."""
    if codecs.lookup(encoding).name == "cp1252" or not stream.seekable():
        return OTHER_HINT
    stream.seek(start)
    head = stream.read(1 << 20)
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return OTHER_HINT
    return CP1252_HINT


def _check_columns(columns: list[str], mapping: mapping_file.FieldMapping) -> None:
    named = [mapping.key, *mapping.categories_from, *(p for paths in mapping.fields.values() for p in paths)]
    absent = [c for c in dict.fromkeys(named) if c not in columns]
    if absent:
        raise ImportFileError(f"colonnes absentes du fichier : {', '.join(absent)} "
                              f"(colonnes présentes : {', '.join(columns)})")
