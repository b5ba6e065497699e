"""Setting up a database: territories, pôles and demonstration sites (used by ``carto demo``)."""
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import func, select

from carto.directory import demo

from carto.territory import poles, territory_load
from carto.directory.service import Service
from carto.storage.db import session_scope
from carto.storage.models import Commune, Pole


@dataclass
class SetupReport:
    territories: dict[str, int] | None
    poles: int
    demo_sites: int


def load_territories(service: Service, layer: Path | None = None) -> dict[str, int]:
    """Load (or replace) the communes and the levels built from them, then recompute coverage."""
    geodata = service.settings.geodata
    if layer is None and geodata is None:
        raise territory_load.TerritoryLoadError("aucune couche donnée et CARTO_GEODATA non défini")
    layer = layer or geodata / territory_load.COMMUNES_LAYER
    attributes = geodata / territory_load.COMMUNES_TABLE if geodata else None
    with session_scope(service.engine) as session:
        counts = territory_load.load(session, layer, attributes)
        poles.recompute_coverage(session)
    service.refresh()
    return counts


def load_poles(service: Service, table: Path) -> int:
    with session_scope(service.engine) as session:
        poles.load_csv(session, table)
        count = session.exec(select(func.count()).select_from(Pole)).one()
    service.refresh()
    return count


def setup_demo(service: Service, n_sites: int = 500) -> SetupReport:
    """Territories and pôles from the geodata directory (when first needed), then demo sites."""
    territories = pole_count = None
    if service.settings.territories_enabled:
        with service.session() as session:
            has_communes = session.exec(select(func.count()).select_from(Commune)).one() > 0
        if not has_communes:
            territories = load_territories(service)
        table = service.settings.geodata / poles.POLES_TABLE
        if table.exists():
            pole_count = load_poles(service, table)
    with session_scope(service.engine) as session:
        created = demo.load(session, service.locator, service.taxonomy, n_sites) if service.locator.enabled else 0
    return SetupReport(territories, pole_count or 0, created)
