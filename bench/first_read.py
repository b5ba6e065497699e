"""The first read after a write: reads whose answer is kept per data version pay it once per process.

    python bench/first_read.py --db LABEL=URL[|BASE_URL] ... [--rounds 5] [--baseline DIR]

Each ``--db`` is a benchmark database (``scale_data.py``) at the current schema that this benchmark
writes to: a scratch copy (PostgreSQL: ``CREATE DATABASE … TEMPLATE …``; SQLite: a copy of the file),
never a shared one. ``--baseline DIR``: a server with the code of another checkout takes turns with
this one's, on ``BASE_URL`` (a copy at its own schema).

Each database is served by a fresh server process per tree, which answers every read once
(imports, templates, outlines). Then, ``--rounds`` times, for each read and each tree in turn: a
write moves the data version (``freshness.bump``, the first statement of every write: all that a
per-process kept answer sees of a write), and the read is requested twice, ``Cache-Control:
no-cache``: the first read after the write, and the next one. Printed: the median of each, ms.
"""
import argparse
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, carto_command, databases, free_port, serve  # noqa: E402

from carto.storage import freshness  # noqa: E402
from carto.storage.db import make_engine, session_scope  # noqa: E402

READS = [
    ("territory statistics (EPCI)", "/api/stats/epci"),
    ("territories page", "/territoires"),
    ("the pôles' index", "/poles"),
    ("supplier search form", "/sourcing"),
]


def measure(urls: dict[str, str], trees: dict[str, Path], rounds: int) -> dict[str, dict[str, tuple[float, float]]]:
    """By tree, by read: medians (ms) of the first read after a write and of the next one."""
    times = {tree: {name: ([], []) for name, _ in READS} for tree in trees}
    with ExitStack() as stack:
        servers = {}
        for tree, root in trees.items():
            port = free_port()
            env = {"CARTO_DATABASE_URL": urls[tree], "CARTO_TILES": "blank"}
            stack.enter_context(serve(carto_command(port), env, port, "/api/territories", cwd=root))
            client = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120, headers={
                "Accept-Encoding": "gzip", "Cache-Control": "no-cache"}))
            engine = make_engine(urls[tree])
            stack.callback(engine.dispose)
            servers[tree] = (client, engine)
            for _, path in READS:  # warm-up, and a check that every read answers
                client.get(path).raise_for_status()
        for _ in range(rounds):
            for name, path in READS:
                for tree, (client, engine) in servers.items():
                    with session_scope(engine) as session:
                        freshness.bump(session)
                    for kept in times[tree][name]:
                        t0 = time.perf_counter()
                        client.get(path).raise_for_status()
                        kept.append((time.perf_counter() - t0) * 1000)
    return {tree: {name: tuple(statistics.median(t) for t in pair) for name, pair in by_read.items()}
            for tree, by_read in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", required=True,
                        help="LABEL=URL, a scratch copy; LABEL=URL|BASE_URL: the baseline reads BASE_URL")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout (git worktree), taking turns with this one")
    args = parser.parse_args()
    trees = {"": ROOT} | ({" (base)": args.baseline} if args.baseline else {})
    results, start_load = {}, os.getloadavg()[0]
    for label, urls in databases(args.db, trees):
        for tree, figures in measure(urls, trees, args.rounds).items():
            results[label + tree] = figures
    print(f"load average at the start: {start_load:.1f}, at the end: {os.getloadavg()[0]:.1f}")
    print("| read | " + " | ".join(f"{label}: first / next ms" for label in results) + " |")
    print("|---|" + "---:|" * len(results))
    for name, _ in READS:
        print(f"| {name} | " + " | ".join("{:.1f} / {:.1f}".format(*results[label][name]) for label in results) + " |")


if __name__ == "__main__":
    main()
