"""Setting up a database: territories, pôles, the taxonomy's search words and demonstration sites
(used by ``carto demo``)."""
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import func, select

from carto.core import taxonomy
from carto.directory import demo, geography

from carto.territory import poles, territory_load
from carto.directory.service import Service
from carto.territory.locator import Locator
from carto.storage import freshness, search_index
from carto.storage.db import session_scope
from carto.storage.models import Commune, Pole


@dataclass
class SetupReport:
    territories: dict[str, int] | None
    poles: int
    demo_sites: int


def load_territories(service: Service, layer: Path | None = None, *,
                     dry_run: bool = False) -> geography.GeographyReport:
    """Load (or replace) the communes and the levels built from them, recompute coverage and place
    every site again, in one transaction; ``dry_run``: the same report, and nothing written."""
    geodata = service.settings.geodata
    if layer is None and geodata is None:
        raise territory_load.TerritoryLoadError("aucune couche donnée et CARTO_GEODATA non défini")
    layer = layer or geodata / territory_load.COMMUNES_LAYER
    attributes = geodata / territory_load.COMMUNES_TABLE if geodata else None
    report = geography.GeographyReport(dry_run=dry_run)
    with session_scope(service.engine) as session:
        poles_before = poles.poles_by_commune(session)
        report.territories = territory_load.load(session, layer, attributes)
        poles.recompute_coverage(session)
        geography.replace_sites(session, Locator.from_db(session), poles_before, report)
        if dry_run:
            session.rollback()
    _observe(service)
    return report


def load_poles(service: Service, table: Path) -> int:
    with session_scope(service.engine) as session:
        poles.load_csv(session, table)
        count = session.exec(select(func.count()).select_from(Pole)).one()
    _observe(service)
    return count


def load_taxonomy(service: Service) -> int:
    """The taxonomy file as edited: every site's search text written again with its labels and
    synonyms, and the data version moved, in one transaction; every server process switches to it
    at its next request (``Service.observe``). Returns the number of sites."""
    edited = taxonomy.load(service.settings.taxonomy_file)
    with session_scope(service.engine) as session:
        freshness.bump(session)
        count = search_index.rebuild(session, edited)
    _observe(service)
    return count


def _observe(service: Service) -> None:
    with service.session() as session:
        service.observe(session)


def setup_demo(service: Service, n_sites: int = 500) -> SetupReport:
    """Territories and pôles from the geodata directory (when first needed), then demo sites."""
    territories = pole_count = None
    if service.settings.territories_enabled:
        with service.session() as session:
            has_communes = session.exec(select(func.count()).select_from(Commune)).one() > 0
        if not has_communes:
            territories = load_territories(service).territories
        table = service.settings.geodata / poles.POLES_TABLE
        if table.exists():
            pole_count = load_poles(service, table)
    created = demo.load(service.engine, service.locator, service.taxonomy, n_sites) if service.locator.enabled else 0
    return SetupReport(territories, pole_count or 0, created)
