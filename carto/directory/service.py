"""The running service's shared objects: settings, database engine, taxonomy and locator."""
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlmodel import Session

from carto.core import taxonomy

from carto.directory import site_json, sirene

from carto.storage import db, freshness
from carto.territory import geocoder, locator
from carto.territory.locator import Locator
from carto.core.settings import Settings


@dataclass
class Service:
    settings: Settings
    engine: Engine
    taxonomy: taxonomy.Taxonomy  # as of the data version last observed (``observe``)
    _locator: Locator | None = field(default=None, repr=False)
    _observed: str | None = field(default=None, repr=False)  # the data version last observed

    @classmethod
    def open(cls, settings: Settings) -> "Service":
        engine = db.engine_for(settings)
        db.init_db(engine)
        return cls(settings, engine, taxonomy.load(settings.taxonomy_file))

    def session(self) -> Session:
        return Session(self.engine)

    def read_session(self) -> Session:
        """A session for requests that only read: each statement commits on its own. The transaction
        gave them nothing (PostgreSQL's READ COMMITTED, like SQLite's, takes a snapshot per statement)
        and cost a town page its BEGIN and ROLLBACK round trips and SQLAlchemy's bookkeeping. A read
        that streams through a server-side cursor needs a transaction: ``session``."""
        return Session(self._reading_engine)

    @cached_property
    def _reading_engine(self) -> Engine:
        if db.is_sqlite(self.engine):  # its driver begins no transaction before a read; a switch costs a PRAGMA
            return self.engine
        return self.engine.execution_options(isolation_level="AUTOCOMMIT")

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
        """The locator of the geography as last observed (``observe``), built on first use."""
        if self._locator is None:
            with self.session() as session:
                self.observe(session)
        return self._locator

    def observe(self, session: Session) -> None:
        """Follow the data version as ``session`` sees it: the geography of a territory or pôles load,
        and the taxonomy of ``carto taxonomy load``, by this process or another one. Each read
        request does (``carto.api.http_cache``), with the session it reads the data version in; the
        write path checks its own geography (``carto.directory.sites``)."""
        self._locator = locator.current(session, self._locator)
        version = freshness.data_version(session)
        if version == self._observed:
            return
        self._observed = version
        newest = taxonomy.load(self.settings.taxonomy_file)  # parsed again only if the file changed
        if newest is not self.taxonomy:
            self.taxonomy = newest
            self.__dict__.pop("pieces", None)  # its pieces name the former labels
