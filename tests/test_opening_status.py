"""« Ouvert maintenant » and « Fermé, ouvre lundi à 9 h », as the site page, the popup and the list say it."""
from datetime import datetime, timezone

import pytest

from carto.core.opening_status import state_at

WEEKDAYS_WITH_LUNCH = "Mo-Fr 09:00-12:00,14:00-18:00; PH off"
THURSDAY = datetime(2026, 12, 3)


@pytest.mark.parametrize("hour, minute, expected", [
    (10, 0, "Ouvert maintenant, ferme à 12 h"),
    (12, 30, "Fermé, ouvre à 14 h"),
    (8, 59, "Fermé, ouvre à 9 h"),
    (17, 45, "Ouvert maintenant, ferme à 18 h"),
])
def test_during_the_day_it_says_when_the_state_changes_today(hour, minute, expected):
    assert state_at(WEEKDAYS_WITH_LUNCH, THURSDAY.replace(hour=hour, minute=minute)).text == expected


def test_after_closing_it_names_the_next_opening_day():
    friday_evening = datetime(2026, 12, 4, 19, 0)
    assert state_at(WEEKDAYS_WITH_LUNCH, friday_evening).text == "Fermé, ouvre lundi à 9 h"
    assert state_at("Sa 10:30-12:30", friday_evening).text == "Fermé, ouvre demain à 10 h 30"


def test_a_public_holiday_closed_by_the_rules_is_skipped():
    christmas = datetime(2026, 12, 25, 10, 0)  # a Friday
    state = state_at(WEEKDAYS_WITH_LUNCH, christmas)
    assert not state.is_open and state.text == "Fermé, ouvre lundi à 9 h"


def test_spans_past_midnight_and_always_open():
    assert state_at("Tu-Sa 22:00-02:00", datetime(2026, 12, 5, 1, 0)).text == "Ouvert maintenant, ferme à 2 h"
    assert state_at("24/7", THURSDAY).text == "Ouvert en permanence"


def test_an_aware_moment_is_read_in_french_time():
    nine_utc_in_winter = datetime(2026, 12, 3, 8, 30, tzinfo=timezone.utc)  # 9 h 30 in Paris
    assert state_at(WEEKDAYS_WITH_LUNCH, nine_utc_in_winter).is_open


@pytest.mark.parametrize("hours", [None, "", '"sur rendez-vous"', "pas une syntaxe"])
def test_nothing_is_claimed_when_the_hours_cannot_tell(hours):
    assert state_at(hours, THURSDAY) is None


def test_an_opening_more_than_a_week_away_is_given_by_its_date():
    summer_only = "Jun-Aug Mo 10:00-12:00"
    assert state_at(summer_only, THURSDAY).text == "Fermé, ouvre le 7/06 à 10 h"


def test_an_english_embed_reads_it_in_english():
    assert state_at(WEEKDAYS_WITH_LUNCH, THURSDAY.replace(hour=10), "en").text == "Open now, closes at 12:00"
    assert state_at(WEEKDAYS_WITH_LUNCH, datetime(2026, 12, 4, 19, 0), "en").text == "Closed, opens Monday at 9:00"
