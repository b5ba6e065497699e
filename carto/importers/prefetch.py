"""Reading ahead in a second process: one core parses, maps and validates the file while the
other writes to the database (big files on multi-core machines).

The child sends batches of checked rows (``validate.check(..., ahead=True)``) through a bounded
queue, so memory stays flat whatever the file's size; a file it cannot read arrives as the same
``ImportFileError``, after the batches before it.
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

QUEUED_BATCHES = 2  # batches of thousands of rows: the writer never waits for the reader for long


class ReadAhead:
    """The checked rows of a file, read by a child process; ``position`` is how far it has read."""

    def __init__(self, path: Path, fmt: str, mapping: Path | None, taxonomy_file: Path, batch_size: int):
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or locks
        self.position = 0
        self._queue = context.Queue(maxsize=QUEUED_BATCHES)
        self._child = context.Process(target=_read, daemon=True, name="carto-import-reader",
                                      args=(str(path), fmt, mapping and str(mapping), str(taxonomy_file),
                                            batch_size, self._queue))
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


def _read(path: str, fmt: str, mapping: str | None, taxonomy_file: str, batch_size: int, out) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # on Ctrl-C the parent stops, then stops this one
    try:
        reader, rules = open_format(fmt, mapping and Path(mapping), taxonomy.load(Path(taxonomy_file)))
        with open(path, "rb") as stream, closing(reader.read(stream, rules)) as rows:
            batch = []
            for item in rows:
                batch.append(check(item, ahead=True))
                if len(batch) >= batch_size:
                    out.put(("rows", batch, stream.tell()))
                    batch = []
            out.put(("rows", batch, stream.tell()))
        out.put(("end", None, 0))
    except ImportFileError as e:
        out.put(("error", str(e), 0))
    except BaseException:  # noqa: BLE001 (handed to the parent, which raises it)
        out.put(("crash", traceback.format_exc(), 0))
