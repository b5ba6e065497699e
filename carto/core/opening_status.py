"""« Ouvert maintenant » / « Fermé, ouvre lundi à 9 h »: a site's opening hours read at a moment.

The rules (``carto.core.opening_hours``) only say open or closed at one instant; people want to
know until when. A state can only change at the start or the end of a time span, or at midnight,
so the next change is found by asking the rules at those instants over the coming week, rather
than minute by minute.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from carto.core import opening_hours
from carto.core.opening_hours import DAY_MINUTES, OpeningHoursError

PARIS = ZoneInfo("Europe/Paris")
LOOKAHEAD_DAYS = 8  # a weekly rule changes within a week; one more day covers spans past midnight
DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@dataclass(frozen=True)
class OpenState:
    is_open: bool
    text: str  # plain French, e.g. « Ouvert maintenant, ferme à 18 h »


def state_at(hours: str | None, at: datetime) -> OpenState | None:
    """Open or closed at ``at`` (aware, or naive in French time) and until when; None when the hours
    are missing, unreadable, or cannot tell (« sur rendez-vous », an unknown public holiday)."""
    if not hours:
        return None
    try:
        parsed = opening_hours.parse(hours)
    except OpeningHoursError:  # imported data may predate validation
        return None
    at = (at.astimezone(PARIS) if at.tzinfo else at).replace(tzinfo=None, second=0, microsecond=0)
    now = parsed.is_open(at)
    if now is None:
        return None
    change = _next_change(parsed, at, now)
    return OpenState(now, _wording(now, at, change))


def _next_change(parsed: opening_hours.OpeningHours, at: datetime, now: bool) -> datetime | None:
    minutes = {0} | {m % DAY_MINUTES for rule in parsed.rules for s, e, _ in rule.intervals() for m in (s, e)}
    midnight = at.replace(hour=0, minute=0)
    for day in range(LOOKAHEAD_DAYS):
        for minute in sorted(minutes):
            moment = midnight + timedelta(days=day, minutes=minute)
            if moment > at and parsed.is_open(moment) != now:
                return moment
    return None


def _wording(now: bool, at: datetime, change: datetime | None) -> str:
    if change is None:
        return "Ouvert 24 h sur 24" if now else "Fermé en ce moment"
    when = _clock(change)
    days = (change.date() - at.date()).days
    if now:
        return f"Ouvert maintenant, ferme à {when}" if days == 0 else \
            f"Ouvert maintenant, ferme {_day(change, days)} à {when}"
    return f"Fermé, ouvre à {when}" if days == 0 else f"Fermé, ouvre {_day(change, days)} à {when}"


def _day(moment: datetime, days: int) -> str:
    return "demain" if days == 1 else DAY_NAMES[moment.weekday()]


def _clock(moment: datetime) -> str:
    return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"
