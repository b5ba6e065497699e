"""Which licence each source's records carry (the ``SourceLicence`` table).

Our own records (no source) and the demo sites are under our licence; an import records its
source's licence when the file or its mapping states one. A source with none recorded is not
relabelled: exports say its licence is not stated.
"""
from collections.abc import Callable

from sqlmodel import Session, select

from carto.core import licences
from carto.core.licences import Licence
from carto.storage import freshness
from carto.storage.models import SourceLicence, utcnow

OURS = {None, "demo"}  # sources whose records we publish ourselves
UNSTATED = Licence("non-precisee", "Licence non précisée par la source : demandez-la-lui avant toute réutilisation", None)


def record(session: Session, source: str, licence: Licence) -> None:
    """Remember ``licence`` for every record of ``source`` (in the caller's transaction)."""
    row = session.get(SourceLicence, source) or SourceLicence(source=source, licence=licence.id)
    if row.licence != licence.id or row not in session:
        freshness.bump(session)  # exports and pages state each source's licence
    row.licence, row.updated_at = licence.id, utcnow()
    session.add(row)


def recorded(session: Session) -> set[Licence]:
    """Our licence and every licence recorded for a source: what a whole collection may hold."""
    return {licences.OWN} | {licences.recognise(text) for text in session.exec(select(SourceLicence.licence))}


def of_sources(session: Session) -> Callable[[str | None], Licence]:
    """A lookup source → licence, read once (an export asks it for every row)."""
    known = {source: licences.recognise(text) for source, text in
             session.exec(select(SourceLicence.source, SourceLicence.licence))}

    def licence_of(source: str | None) -> Licence:
        if source in known:
            return known[source]
        return licences.OWN if source in OURS else UNSTATED

    return licence_of
