"""Memory of ``carto export``: the whole directory and a part of it, each written by a fresh
``carto export`` process whose peak resident memory (``ru_maxrss`` from ``wait4``) and wall time
are printed with the number of sites and the size of the file.

    python bench/export_memory.py --url postgresql://postgres@127.0.0.1:PORT/bench1m
    python bench/export_memory.py --url sqlite:////tmp/carto-bench/b100k.db

The database comes from ``bench/scale_data.py``. Exports read the sites in order from one SQL
query (a server-side cursor on PostgreSQL) and write them as they come: the peak should not grow
with the number of sites.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SELECTIONS = {  # name → options of carto export
    "Ille-et-Vilaine": ["--zone", "departement:35"],
    "tout": [],
}


def export(url: str, fmt: str, options: list[str], target: Path) -> tuple[float, float, int]:
    """Seconds, peak resident MB and the command's last line of one export."""
    env = os.environ | {"CARTO_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "carto", "export", str(target), "--format", fmt, *options],
                               env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"carto export a échoué :\n{output}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, output.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="base de données (bench/scale_data.py)")
    parser.add_argument("--formats", default="csv,geojson")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carto-export-") as folder:
        print(f"{'sélection':<16} {'format':<8} {'durée':>8} {'RSS max':>9} {'fichier':>9}  résultat")
        for name, options in SELECTIONS.items():
            for fmt in args.formats.split(","):
                target = Path(folder) / f"sites.{fmt}"
                seconds, peak_mb, said = export(args.url, fmt, options, target)
                size_mb = target.stat().st_size / 1e6
                print(f"{name:<16} {fmt:<8} {seconds:>7.1f}s {peak_mb:>7.0f} Mo {size_mb:>7.0f} Mo  {said}")
                target.unlink()


if __name__ == "__main__":
    main()
