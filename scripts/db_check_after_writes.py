"""CI: ``carto db check`` over a database that every writing command has exercised.

    python3 scripts/db_check_after_writes.py DATABASE_URL

``DATABASE_URL`` names a database to create (a SQLite file, or a database of a PostgreSQL server
whose role may create one, e.g. the cluster of ``scripts/pg-test-cluster.sh``). The commands run as a
user runs them: demo sites, an LVAO import and its re-import, a territory load (every site placed
again) and a pôles load; then the check, whose exit code is this script's.
"""
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from carto.core.settings import SHARED_GEODATA  # noqa: E402
from carto.storage.db import normalize_url  # noqa: E402

LVAO_SAMPLE = ROOT.parent / "shared" / "data" / "lvao_acteurs_bretagne_sample.csv"


def create_database(url: str) -> None:
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()


def carto(url: str, *args: str) -> int:
    env = dict(os.environ, CARTO_DATABASE_URL=url, CARTO_GEODATA=str(SHARED_GEODATA), PYTHONPATH=str(ROOT))
    print("$ carto " + " ".join(args), flush=True)
    return subprocess.run([sys.executable, "-m", "carto", *args], env=env, cwd=ROOT).returncode


def main(url: str) -> int:
    create_database(url)
    steps = [("demo", "--no-serve", "--sites", "300"),
             ("import", str(LVAO_SAMPLE), "--format", "lvao"),
             ("import", str(LVAO_SAMPLE), "--format", "lvao"),
             ("territories", "load", str(SHARED_GEODATA / "communes_bretagne_2026.geojson")),
             ("poles", "load", str(SHARED_GEODATA / "poles_ess_bretagne.csv"))]
    for step in steps:
        if carto(url, *step) != 0:
            print(f"échec de « carto {' '.join(step)} »", file=sys.stderr)
            return 1
    return carto(url, "db", "check")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
