"""Helpers of the import tests: the real LVAO sample, variants of it, and reading back sites."""
import csv
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import Session, select

from carto.directory import sites
from carto.importers import run_import
from carto.storage.models import Site
from carto.core.settings import PROJECT_ROOT

SAMPLE = PROJECT_ROOT.parent / "shared" / "data" / "lvao_acteurs_bretagne_sample.csv"
DATA = Path(__file__).parent / "data"
# The sample's actors by identifiant.
CAP = "aDcrby2bqxAZFM3yYCRTue"  # Cap Ressourcerie, Crach (ess)
ALRE = "EWDLqqJRavXraEwoVJEQbL"  # Alre-Bobinage, Auray (repairer)
POULBENN = "3kQK86DEWA3ZrcirdzzBez"  # Antiquités du Poulbenn, Crach
FRANKLIN = "8bHaabXYXXTSvoVghXY2VC"  # lycée, Auray
LOCARMOR = "NVhnuuKmw7gTKEoDBjd7bT"  # rental only: nothing mapped
AFE56 = "eYKxBYDMDoMXTr8iiw69Ek"  # computer repair, QualiRépar
RELAIS = "cyRZyTLfJ3goDJop2foYWb"  # Le Relais, textile collection
COUTURE = "XSyppoQHLT37uafQ6kj5M7"  # Rapid'Couture, Refashion


def sample_rows() -> list[dict]:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_lvao(path: Path, rows: list[dict]) -> Path:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        columns = next(csv.reader(f))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def variant(tmp_path: Path, name: str = "lvao.csv", **changes: dict) -> Path:
    """The sample with some columns of some actors changed: ``variant(tmp, CAP={"nom": "X"})``."""
    rows = sample_rows()
    for row in rows:
        row.update(changes.get(row["identifiant"], {}))
    return write_lvao(tmp_path / name, rows)


def import_lvao(service, path: Path = SAMPLE, **options):
    return run_import(service, path, "lvao", **options)


def site(session: Session, key: str, source: str = "lvao") -> Site | None:
    return session.exec(select(Site).where(Site.source == source, Site.source_key == key)).first()


def activities(session: Session, key: str, source: str = "lvao") -> list[str]:
    return sites.activities_of(session, site(session, key, source).id)


def count(session: Session, table: str) -> int:
    return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def site_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Site)).one()
