"""« Ouvert maintenant, ferme à 18 h » / « Fermé, ouvre lundi à 9 h »: a site's hours read at a moment,
for the site page, the map popup and the list (the rules themselves: ``carto.core.opening_hours``).
In French, or in English for an embed with ``lang=en``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from carto.core import opening_hours
from carto.core.opening_hours import PARIS, OpeningHoursError

DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
ENGLISH_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NAMED_DAYS = timedelta(days=7)  # beyond a week, « lundi » would be ambiguous: the date is given


@dataclass(frozen=True)
class OpenState:
    is_open: bool
    text: str


def state_at(hours: str | None, at: datetime, lang: str = "fr") -> OpenState | None:
    """Open or closed at ``at`` (aware, or naive in French time) and until when; None when the hours
    are missing, unreadable, or cannot tell (« sur rendez-vous », an unknown public holiday)."""
    if not hours:
        return None
    try:
        parsed = opening_hours.parse(hours)
    except OpeningHoursError:  # imported data may predate validation
        return None
    at = at.astimezone(PARIS) if at.tzinfo else at.replace(tzinfo=PARIS)
    now = parsed.is_open(at)
    if now is None:
        return None
    change = parsed.next_change(at)
    wording = _english if lang == "en" else _wording
    return OpenState(now, wording(now, at, change.astimezone(PARIS) if change else None))


def _wording(now: bool, at: datetime, change: datetime | None) -> str:
    if change is None:
        return "Ouvert en permanence" if now else "Fermé en ce moment"
    when = f"{_day(at, change)}à {_clock(change)}"
    return f"Ouvert maintenant, ferme {when}" if now else f"Fermé, ouvre {when}"


def _day(at: datetime, change: datetime) -> str:
    days = (change.date() - at.date()).days
    if days == 0:
        return ""
    if days == 1:
        return "demain "
    if change - at < NAMED_DAYS:
        return f"{DAY_NAMES[change.weekday()]} "
    return f"le {change.day}/{change.month:02d} "


def _clock(moment: datetime) -> str:
    return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"


def _english(now: bool, at: datetime, change: datetime | None) -> str:
    if change is None:
        return "Always open" if now else "Closed at the moment"
    days = (change.date() - at.date()).days
    day = ("" if days == 0 else "tomorrow " if days == 1 else
           f"{ENGLISH_DAYS[change.weekday()]} " if change - at < NAMED_DAYS else f"on {change.day}/{change.month:02d} ")
    when = f"{day}at {change.hour}:{change.minute:02d}"
    return f"Open now, closes {when}" if now else f"Closed, opens {when}"
