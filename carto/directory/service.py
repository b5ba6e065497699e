"""The running service's shared objects: settings, database engine, taxonomy and locator."""
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlmodel import Session

from carto.core import taxonomy

from carto.directory import site_json, sirene

from carto.storage import db
from carto.territory import geocoder
from carto.territory.locator import Locator
from carto.core.settings import Settings


@dataclass
class Service:
    settings: Settings
    engine: Engine
    taxonomy: taxonomy.Taxonomy
    _locator: Locator | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings) -> "Carto":
        engine = db.engine_for(settings)
        db.init_db(engine)
        return cls(settings, engine, taxonomy.load(settings.taxonomy_file))

    def session(self) -> Session:
        return Session(self.engine)

    @cached_property
    def pieces(self) -> site_json.Pieces:
        """Sites' stored JSON put together with this taxonomy's activities and domains."""
        return site_json.Pieces(self.taxonomy)

    @cached_property
    def geocoder(self) -> geocoder.Ban | geocoder.Off:
        """Addresses → positions (the BAN, or none: CARTO_GEOCODER)."""
        return geocoder.for_settings(self.settings)

    @cached_property
    def sirene(self) -> sirene.Api | sirene.Off:
        """Establishments from Sirene (the recherche-entreprises API, or none: CARTO_SIRENE)."""
        return sirene.for_settings(self.settings)

    @property
    def locator(self) -> Locator:
        """Built on first use from the stored communes; ``refresh`` after loading territories."""
        if self._locator is None:
            with self.session() as session:
                self._locator = Locator.from_db(session)
        return self._locator

    def refresh(self) -> None:
        self._locator = None
