"""OpenStreetMap ``opening_hours`` values: accepted, evaluated and told in French.

Whether a value is valid, and whether a place is open at a moment, is the reference
implementation's answer (``opening-hours-py``, a maintained Rust implementation of the whole
specification: ``Sa[1]``, ``Dec 24 off``, ``SH off``, ``easter``, ``sunrise-sunset``, ``09:00+``…),
in Europe/Paris with the French public holidays. What a person reads comes from
``carto.core.opening_hours_french``: the plain French wording of the usual rules (a value beyond
them is shown as written) and, when a value is refused, a French message naming the fault and its
position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours as reference  # the opening-hours-py package

from carto.core import opening_hours_french as french
from carto.core.opening_hours_french import OpeningHoursError

__all__ = ["MAX_LENGTH", "OpeningHours", "OpeningHoursError", "is_open", "parse", "to_french"]

MAX_LENGTH = 255  # OSM refuses tag values longer than 255 characters
PARIS = ZoneInfo("Europe/Paris")
# Sun times (« sunrise-sunset ») at the middle of Brittany: a few minutes off at its ends.
BRITTANY = (48.2, -2.9)
# How far ahead the next change is looked for: past a year, the answer is « not soon ».
HORIZON = timedelta(days=366)
EXAMPLE = "Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-12:00"


@dataclass(frozen=True)
class OpeningHours:
    text: str  # as typed, without surrounding spaces nor a trailing « ; »
    engine: reference.OpeningHours = field(repr=False, compare=False)

    def to_french(self) -> list[str]:
        """Plain-French lines; the value as written when no French phrasing covers it."""
        # The normalised form spells what the reader knows (« 9:00 » → « 09:00 », « mo » → « Mo »).
        for candidate in (self.text, str(self.engine)):
            try:
                return french.to_french(french.read(candidate))
            except OpeningHoursError:
                continue
        return [self.text]

    def is_open(self, at: datetime) -> bool | None:
        """Open at ``at`` (aware, or naive in French time)? None when the rules cannot tell."""
        return _answer(*self.engine.state(_paris(at)))

    def next_change(self, at: datetime) -> datetime | None:
        """First moment after ``at`` (in French time) when ``is_open`` answers otherwise;
        None when nothing changes within a year."""
        at = _paris(at)
        now = self.is_open(at)
        for start, _end, state, comment in self.engine.intervals(at, at + HORIZON):
            if start > at and _answer(state, comment) != now:
                return start
        return None


def parse(text: str) -> OpeningHours:
    """Validate ``text``; raise OpeningHoursError (French message) when invalid."""
    if not isinstance(text, str):
        raise TypeError(f"opening_hours must be a str, not {type(text).__name__}")
    if not text.strip():
        raise OpeningHoursError(f"Horaires vides ; indiquez par exemple « {EXAMPLE} »")
    if len(text) > MAX_LENGTH:
        raise OpeningHoursError(
            f"Horaires trop longs ({len(text)} caractères) ; "
            f"OpenStreetMap n'en accepte que {MAX_LENGTH}")
    return _parse_cached(text)


def to_french(hours: str | OpeningHours) -> list[str]:
    """Plain-French lines, e.g. ["Du lundi au vendredi : 9 h – 18 h"]."""
    return _as_parsed(hours).to_french()


def is_open(hours: str | OpeningHours, at: datetime) -> bool | None:
    """True/False when the rules say so at ``at``, None when they cannot tell."""
    return _as_parsed(hours).is_open(at)


def _as_parsed(hours: str | OpeningHours) -> OpeningHours:
    return hours if isinstance(hours, OpeningHours) else parse(hours)


@lru_cache(maxsize=2048)
def _parse_cached(text: str) -> OpeningHours:
    # Safe to share: neither object changes once built.
    cleaned = text.strip().rstrip(";").rstrip()  # a trailing « ; » is a harmless habit
    try:
        engine = reference.OpeningHours(cleaned, timezone=PARIS, country="FR", coords=BRITTANY)
    except reference.ParserError as error:
        offset = len(text) - len(text.lstrip())
        raise _french_error(text, _column(error) + offset) from None
    return OpeningHours(cleaned, engine)


def _answer(state: reference.State, comment: str) -> bool | None:
    # « Mo-Fr "sur rendez-vous" » is open with a comment to the reference: it qualifies the
    # opening so much that « ouvert maintenant » would mislead.
    if state == reference.State.UNKNOWN or (state == reference.State.OPEN and comment):
        return None
    return state == reference.State.OPEN


def _paris(at: datetime) -> datetime:
    return at.astimezone(PARIS) if at.tzinfo else at.replace(tzinfo=PARIS)


def _column(error: reference.ParserError) -> int:
    found = re.search(r"--> \d+:(\d+)", str(error))
    return int(found.group(1)) if found else 1


def _french_error(text: str, column: int) -> OpeningHoursError:
    """The French diagnosis of the usual mistakes when it blames the place where the reference
    stumbled; otherwise a plain message with that place."""
    try:
        french.read(text)
    except OpeningHoursError as diagnosis:
        if diagnosis.position is not None and _blames(text, diagnosis.position, column):
            return diagnosis
    excerpt = text[column - 1:].split(" ")[0] or text.strip().split(" ")[-1]
    return OpeningHoursError(
        f"Horaires non reconnus à partir de la position {column} (« {excerpt} ») ; "
        f"écriture OpenStreetMap attendue, par exemple « {EXAMPLE} »", column)


def _blames(text: str, position: int, column: int) -> bool:
    """Does the chunk of ``text`` at ``position`` (up to the next space) hold ``column``?
    A diagnosis elsewhere means the reader stopped on valid syntax beyond its subset."""
    chunk = re.match(r"\S*", text[position - 1:]).group()
    return position - 1 <= column <= position + len(chunk)
