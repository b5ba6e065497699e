"""Reading ahead in a second process: one core parses, maps and validates the file while the
other writes to the database (big files on multi-core machines).

The child sends checked rows (``validate.check(..., ahead=True)``) by chunks through a bounded
queue, so memory stays flat whatever the file's size; a file it cannot read arrives as the same
``ImportFileError``, after the rows before it.
"""
import multiprocessing
import queue
import signal
import traceback
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from carto.core import taxonomy
from carto.importers.formats import open_format
from carto.importers.records import ImportFileError, Skip
from carto.importers.validate import Checked, check

# Rows cross by chunks, whatever the size of the writer's batches: the child holds at most
# ``ahead`` rows (its queue) and a chunk, where whole batches held two batches and a third being read
# (memory the writer's page cache and batches are better given: ``carto.importers.pipeline``).
CHUNK = 500


class ReadAhead:
    """The checked rows of a file, read by a child process; ``position`` is how far it has read."""

    def __init__(self, path: Path, fmt: str, mapping: Path | None, taxonomy_file: Path, ahead: int):
        """``ahead``: how many rows the child may read before the writer takes them (a batch: the
        writer then never waits long for the reader)."""
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or locks
        self.position = 0
        self._queue = context.Queue(maxsize=max(1, ahead // CHUNK))
        self._child = context.Process(target=_read, daemon=True, name="carto-import-reader",
                                      args=(str(path), fmt, mapping and str(mapping), str(taxonomy_file),
                                            self._queue))
        self._child.start()

    def __iter__(self) -> Iterator[Checked | Skip]:
        while True:
            kind, payload, position = self._next()
            if kind == "rows":
                self.position = position
                yield from payload
            elif kind == "end":
                return
            elif kind == "error":
                raise ImportFileError(payload)
            else:
                raise RuntimeError(f"la lecture du fichier a échoué :\n{payload}")

    def _next(self) -> tuple:
        while True:
            try:
                return self._queue.get(timeout=1)
            except queue.Empty:
                if not self._child.is_alive():
                    raise RuntimeError("le processus de lecture du fichier s'est arrêté") from None

    def close(self) -> None:
        if self._child.is_alive():
            self._child.terminate()
        self._child.join()
        self._queue.close()


def _read(path: str, fmt: str, mapping: str | None, taxonomy_file: str, out) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # on Ctrl-C the parent stops, then stops this one
    chunk, position = [], 0
    try:
        reader, rules = open_format(fmt, mapping and Path(mapping), taxonomy.load(Path(taxonomy_file)))
        with open(path, "rb") as stream, closing(reader.read(stream, rules)) as rows:
            for item in rows:
                chunk.append(check(item, ahead=True))
                if len(chunk) >= CHUNK:
                    position = stream.tell()
                    out.put(("rows", chunk, position))
                    chunk = []
            position = stream.tell()
        out.put(("rows", chunk, position))
        out.put(("end", None, 0))
    except ImportFileError as e:
        out.put(("rows", chunk, position))  # the rows read before the fault are imported, as read in line
        out.put(("error", str(e), 0))
    except BaseException:  # noqa: BLE001 (handed to the parent, which raises it)
        out.put(("crash", traceback.format_exc(), 0))
