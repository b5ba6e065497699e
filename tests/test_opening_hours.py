"""Specification of carto.core.opening_hours: OSM opening_hours, checked and told in French.

Reference dates (2025): Monday 7 July, Saturday 12 July, Sunday 13 July;
Monday 14 July, Thursday 1 May and Thursday 25 December are public holidays.
"""

import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from carto.core import opening_hours_french
from carto.core.opening_hours import (
    MAX_LENGTH,
    PARIS,
    OpeningHours,
    OpeningHoursError,
    is_open,
    parse,
    to_french,
)
from carto.core.opening_hours_french import TimeSpan

MONDAY = date(2025, 7, 7)
SATURDAY = date(2025, 7, 12)
SUNDAY = date(2025, 7, 13)
SHOP = "Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-12:00"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


# ---------------------------------------------------------------------------
# 1. Accepted values
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Mo-Fr 09:00-18:00",
    "Mo,We,Sa 10:00-12:00",
    "Mo-Fr 09:00-12:00,14:00-18:00",
    "Mo-Fr 09:00-12:00, 14:00-18:00",           # space after the comma
    SHOP,
    "24/7",
    "off",
    "closed",
    "Mo-Fr 09:00-18:00; PH off",
    "PH 10:00-12:00",
    "Su,PH off",
    "Jan-Mar off",
    "Jun-Aug Mo-Fr 10:00-18:00",
    "Nov-Feb Sa 10:00-12:00",                   # month range across the new year
    "Jun,Aug Mo 10:00-12:00",
    "Sa-Mo 10:00-12:00",                        # weekday range across the week end
    "Fr 22:00-02:00",                           # past midnight
    "Mo-Fr 18:00-24:00",
    "Mo-Fr 00:00-24:00",
    'open "sur rendez-vous"',
    '"sur rendez-vous"',
    'Mo-Fr 09:00-12:00 "sur rendez-vous"',
    'Mo-Fr 09:00-18:00 || "sur rendez-vous"',
    "Mo-Fr 09:00-18:00 || Sa 10:00-12:00",
    'Mo-Fr 09:00-12:00, We 14:00-16:00',        # additional rule
    "Mo-Fr 09:00-18:00;",                       # trailing ";" tolerated
    "  Mo-Fr 09:00-18:00  ",
    "Mo-Fr unknown",
    '24/7 "sauf travaux"',
    'Mo "comment; with || separators inside"',
])
def test_common_values_are_accepted(text):
    assert isinstance(parse(text), OpeningHours)


# Valid by the specification and refused by the hand-made parser this project had before:
# the reference implementation accepts them, and they keep their meaning.
@pytest.mark.parametrize("text", [
    "Sa[1] 10:00-12:00",                        # a monthly Repair Café
    "Dec 24 off",
    "SH off",
    "PH off",
    "sunrise-sunset",
    "easter",
    "09:00+",
    "Apr-Oct: Mo-Fr 09:00-18:00",
    "Mo-Fr 9:00-18:00",
    "Mo-Fr 10:00-12:00 OFF",
    "mo-fr 10:00-12:00",
    "Mo, 10:00-12:00",
])
def test_the_whole_specification_is_accepted(text):
    assert parse(text).text == text


def test_the_text_is_kept_as_typed_without_surrounding_spaces_or_trailing_semicolon():
    assert parse("  Mo-Fr 09:00-18:00 ; ").text == "Mo-Fr 09:00-18:00"


def test_the_french_reader_exposes_the_rules():
    weekdays, saturday = opening_hours_french.read(SHOP).rules
    assert weekdays.weekdays == ((0, 4),)
    assert weekdays.spans == (TimeSpan(540, 720), TimeSpan(840, 1080))
    assert saturday.weekdays == ((5, 5),)


def test_the_french_reader_keeps_fallback_rules_as_comments():
    rules = opening_hours_french.read('Mo-Fr 09:00-18:00 || "sur rendez-vous"')
    assert len(rules.rules) == 1
    assert rules.fallbacks == ("sur rendez-vous",)


def test_value_of_exactly_255_characters_is_accepted():
    head = 'Mo-Fr 09:00-18:00 "'
    text = head + "x" * (MAX_LENGTH - len(head) - 1) + '"'
    assert len(text) == MAX_LENGTH
    parse(text)


# ---------------------------------------------------------------------------
# 2. Refused values: French message saying what and where
# ---------------------------------------------------------------------------

def error_for(text: str) -> OpeningHoursError:
    with pytest.raises(OpeningHoursError) as caught:
        parse(text)
    return caught.value


def test_error_is_a_value_error():
    assert issubclass(OpeningHoursError, ValueError)


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_value_is_refused(text):
    assert str(error_for(text)).startswith("Horaires vides")


def test_value_longer_than_255_characters_is_refused():
    text = "Mo-Fr 09:00-18:00; " * 14  # 266 characters, valid otherwise
    assert len(text) > MAX_LENGTH
    assert "trop longs (266 caractères)" in str(error_for(text))


def test_french_weekday_names_are_refused_with_the_osm_names():
    error = error_for("Lu-Ve 9-12")
    assert str(error).startswith(
        "Jour inconnu « Lu » en position 1 ; utilisez Mo, Tu, We, Th, Fr, Sa, Su")
    assert "lundi s'écrit Mo" in str(error)
    assert error.position == 1


def test_hours_beyond_24_are_refused():
    error = error_for("Mo-Fr 25:00-26:00")
    assert str(error) == ("Heure invalide « 25:00 » en position 7 ; "
                          "les heures vont de 00:00 à 24:00")
    assert error.position == 7


@pytest.mark.parametrize("text, expected", [
    ("garbage", "Mot inconnu « garbage » en position 1"),
    ("n'importe quoi", "Mot inconnu « n » en position 1"),
    ("!!!", "Caractère inattendu « ! » en position 1"),
    ("Mo-Fr 10:00-12:00 ?", "Caractère inattendu « ? » en position 19"),
    ("Mo-Fr 9-12", "Heure « 9 » incomplète en position 7 ; format attendu HH:MM, écrivez 09:00"),
    ("Mo-Fr 9.00-12:00", "Heure « 9 » incomplète en position 7"),
    ("9:00", "Plage horaire incomplète en position 1"),
    ("Mo-Fr 09:60-12:00", "Heure invalide « 09:60 »"),
    ("Mo-Fr 24:00-02:00", "Une plage ne peut pas commencer à 24:00 (position 7)"),
    ("Mo-Fr 10:00", "Plage horaire incomplète en position 7"),
    ("Mo-Fr 10:00-", "Heure de fin manquante après « - » en position 12"),
    ("Mo-Fr 09:00–12:00", "Tiret « – » en position 12 ; utilisez le tiret simple « - »"),
    ("Mo-Fr: 09:00-12:00", "« : » inattendu en position 6"),
    ("Mo-Fr 09:00-12:00 Sa 10:00-12:00",
     "« Sa » inattendu en position 19 ; séparez les règles par « ; »"),
    ("Mo-Fr Jan 10:00-12:00", "« Jan » inattendu en position 7 ; les mois se placent en début"),
    ("Mo-Fr fermé 10:00-12:00", "Mot inconnu « fermé » en position 7 ; écrivez « off »"),
    ("Mo-Fr fermé", "Mot inconnu « fermé » en position 7 ; écrivez « off »"),
    ("mardi 10:00-12:00", "Jour inconnu « mardi » en position 1"),
    ("Janv-Mars off", "Mois inconnu « Janv » en position 1"),
    # Beyond the French reader's subset, the reference's position is given.
    ("Sa[1] 10:00-12:0", "Horaires non reconnus à partir de la position 16"),
    ("Dec 25 10:00-1200", "Horaires non reconnus à partir de la position 14 (« 1200 »)"),
    ('Mo "sur rendez-vous', "Guillemet non fermé en position 4"),
    ('Mo ""', "Commentaire vide en position 4"),
    ('Mo 10:00-12:00 "a" "b"', "Commentaire inattendu en position 20"),
    ("Mo-Fr off 10:00-12:00", "Heure « 10:00 » inattendue en position 11"),
    ("Mo 24/7", "« 24/7 » en position 4 doit être seul en début de règle"),
    ("Mo;;Tu", "Règle vide après « ; » en position 3"),
    ("; Mo", "Règle vide en position 1"),
    ("Mo,", "Virgule en trop en fin de texte (position 3)"),
    ("Mo-Fr 10:00-12:00 ||", "Règle de repli vide après « || » en position 19"),
    ("Mo | Tu", "« | » seul en position 4"),
    ("Mo-", "Fin de plage manquante après « - » en position 3"),
])
def test_bad_values_are_refused_with_a_precise_message(text, expected):
    assert expected in str(error_for(text))


def test_an_early_mistake_is_reported_before_a_later_bad_character():
    assert str(error_for('Lu 10:00-12:00 "oups')).startswith("Jour inconnu « Lu »")


def test_non_text_is_a_programming_error():
    with pytest.raises(TypeError):
        parse(None)


# ---------------------------------------------------------------------------
# 3. Plain French
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, lines", [
    (SHOP, ["Du lundi au vendredi : 9 h – 12 h et 14 h – 18 h", "Samedi : 10 h – 12 h"]),
    ("24/7", ["Ouvert 24 h/24, 7 j/7"]),
    ("open", ["Ouvert 24 h/24, 7 j/7"]),
    ('24/7 "sauf travaux"', ["Ouvert 24 h/24, 7 j/7 (sauf travaux)"]),
    ("PH off", ["Fermé les jours fériés"]),
    ("off", ["Fermé"]),
    ("closed", ["Fermé"]),
    ("Mo-Fr 09:30-12:00", ["Du lundi au vendredi : 9 h 30 – 12 h"]),
    ("Tu 08:05-09:00", ["Mardi : 8 h 05 – 9 h"]),
    ("Mo,We,Sa 10:00-12:00", ["Lundi, mercredi et samedi : 10 h – 12 h"]),
    ("Mo-We,Fr 10:00-12:00", ["Du lundi au mercredi et vendredi : 10 h – 12 h"]),
    ("Mo-Su 08:00-20:00", ["Tous les jours : 8 h – 20 h"]),
    ("10:00-18:00", ["Tous les jours : 10 h – 18 h"]),
    ("Sa-Mo 10:00-12:00", ["Du samedi au lundi : 10 h – 12 h"]),
    ("Mo 08:00-10:00,11:00-12:00,14:00-16:00",
     ["Lundi : 8 h – 10 h, 11 h – 12 h et 14 h – 16 h"]),
    ("Fr 22:00-02:00", ["Vendredi : 22 h – 2 h"]),
    ("Fr 18:00-00:00", ["Vendredi : 18 h – 24 h"]),
    ("Mo-Fr 00:00-24:00", ["Du lundi au vendredi : 24 h/24"]),
    ("Mo-Fr", ["Du lundi au vendredi : ouvert 24 h/24"]),
    ("We 12:00-14:00 off", ["Mercredi : fermé de 12 h à 14 h"]),
    ("Mo-Fr unknown", ["Du lundi au vendredi : ouverture incertaine"]),
    ("PH 10:00-12:00", ["Jours fériés : 10 h – 12 h"]),
    ("Su,PH off", ["Dimanche et jours fériés : fermé"]),
    ("Jun-Aug Mo-Fr 10:00-18:00", ["De juin à août, du lundi au vendredi : 10 h – 18 h"]),
    ("Apr-Oct Sa 09:00-12:00", ["D'avril à octobre, samedi : 9 h – 12 h"]),
    ("Jan-Mar off", ["De janvier à mars : fermé"]),
    ("Aug off", ["En août : fermé"]),
    ("Jun,Aug Mo 10:00-12:00", ["En juin et en août, lundi : 10 h – 12 h"]),
    ('open "sur rendez-vous"', ["Sur rendez-vous"]),
    ('"sur rendez-vous"', ["Sur rendez-vous"]),
    ('Mo-Fr "sur rendez-vous"', ["Du lundi au vendredi : sur rendez-vous"]),
    ('Mo-Fr 09:00-12:00 "sur rendez-vous"',
     ["Du lundi au vendredi : 9 h – 12 h (sur rendez-vous)"]),
    ('Aug off "congés"', ["En août : fermé (congés)"]),
    ('Mo-Fr 09:00-18:00 || "sur rendez-vous"',
     ["Du lundi au vendredi : 9 h – 18 h", "Sinon : sur rendez-vous"]),
    ("Mo-Fr 09:00-18:00; PH off",
     ["Du lundi au vendredi : 9 h – 18 h", "Fermé les jours fériés"]),
])
def test_hours_are_told_in_plain_french(text, lines):
    assert to_french(text) == lines


def test_to_french_is_also_a_method_and_accepts_parsed_values():
    hours = parse(SHOP)
    assert hours.to_french() == to_french(hours) == to_french(SHOP)


def test_to_french_refuses_what_parse_refuses():
    with pytest.raises(OpeningHoursError):
        to_french("Lu-Ve 9-12")


# ---------------------------------------------------------------------------
# 4. Open or not at a given moment
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("moment, expected", [
    (at(MONDAY, 9), True),          # opening time is included
    (at(MONDAY, 11, 59), True),
    (at(MONDAY, 12), False),        # closing time is excluded
    (at(MONDAY, 13), False),        # lunch break
    (at(MONDAY, 17, 30), True),
    (at(MONDAY, 20), False),
    (at(SATURDAY, 11), True),
    (at(SATURDAY, 15), False),
    (at(SUNDAY, 11), False),
])
def test_shop_hours(moment, expected):
    assert is_open(SHOP, moment) is expected


def test_24_7_is_always_open():
    assert is_open("24/7", at(SUNDAY, 3)) is True


def test_off_is_always_closed():
    assert is_open("off", at(MONDAY, 10)) is False


def test_spans_past_midnight_carry_into_the_next_day():
    bar = "Fr-Sa 22:00-02:00"
    assert is_open(bar, at(SATURDAY, 1)) is True    # Friday night
    assert is_open(bar, at(SUNDAY, 1)) is True      # Saturday night
    assert is_open(bar, at(MONDAY, 1)) is False     # Sunday had no night
    assert is_open(bar, at(SATURDAY, 2)) is False


def test_later_rules_replace_earlier_ones_for_the_days_they_name():
    assert is_open("Mo-Fr 09:00-18:00; We 14:00-16:00", at(date(2025, 7, 9), 10)) is False


def test_additional_rules_add_to_earlier_ones():
    hours = "Mo-Fr 09:00-12:00, We 14:00-16:00"
    wednesday = date(2025, 7, 9)
    assert is_open(hours, at(wednesday, 10)) is True
    assert is_open(hours, at(wednesday, 15)) is True


def test_month_ranges():
    summer = "Jun-Aug Mo-Fr 10:00-18:00"
    assert is_open(summer, at(MONDAY, 11)) is True
    assert is_open(summer, at(date(2025, 1, 6), 11)) is False
    winter = "Mo-Fr 09:00-18:00; Nov-Feb off"
    assert is_open(winter, at(date(2025, 1, 6), 11)) is False
    assert is_open(winter, at(date(2025, 12, 1), 11)) is False
    assert is_open(winter, at(date(2025, 3, 3), 11)) is True


def test_french_public_holidays_are_known():
    hours = "Mo-Fr 09:00-18:00; PH off"
    assert is_open(hours, at(date(2025, 5, 1), 10)) is False     # Fête du Travail
    assert is_open(hours, at(date(2025, 5, 2), 10)) is True
    assert is_open(hours, at(date(2025, 6, 9), 10)) is False     # Lundi de Pentecôte
    assert is_open("PH 10:00-12:00", at(date(2025, 12, 25), 11)) is True
    assert is_open("PH 10:00-12:00", at(date(2025, 12, 24), 11)) is False


def test_comments_alone_cannot_say():
    assert is_open('"sur rendez-vous"', at(MONDAY, 10)) is None
    assert is_open('Mo-Fr "sur rendez-vous"', at(MONDAY, 10)) is None
    assert is_open("Mo-Fr unknown", at(MONDAY, 10)) is None


def test_open_with_a_comment_cannot_say_either():
    # « ouvert maintenant » would send people to a door that opens by appointment only.
    assert is_open('open "sur rendez-vous"', at(MONDAY, 10)) is None
    assert is_open('Mo-Fr 09:00-12:00 "sur rendez-vous"', at(MONDAY, 10)) is None


def test_fallback_applies_only_to_days_without_a_rule():
    hours = 'Mo-Fr 09:00-18:00 || "sur rendez-vous"'
    assert is_open(hours, at(MONDAY, 10)) is True
    assert is_open(hours, at(MONDAY, 20)) is False
    assert is_open(hours, at(SATURDAY, 10)) is None


def test_aware_datetimes_are_read_in_french_time():
    utc = datetime(2025, 7, 7, 8, 30, tzinfo=timezone.utc)  # 10:30 in Paris (CEST)
    assert is_open("Mo 10:00-12:00", utc) is True


def test_is_open_is_also_a_method():
    assert parse(SHOP).is_open(at(MONDAY, 10)) is True


# ---------------------------------------------------------------------------
# 5. French public holidays, specification extensions, next change
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("day", [
    date(2025, 1, 1), date(2025, 4, 21), date(2025, 5, 1), date(2025, 5, 8), date(2025, 5, 29),
    date(2025, 6, 9), date(2025, 7, 14), date(2025, 8, 15), date(2025, 11, 1),
    date(2025, 11, 11), date(2025, 12, 25), date(2026, 5, 14), date(2026, 5, 25),
])
def test_the_eleven_french_public_holidays_close_a_ph_off_site(day):
    every_day = "Mo-Su 09:00-18:00; PH off"
    assert is_open(every_day, at(day, 10)) is False
    assert is_open(every_day, at(day - timedelta(days=1), 10)) is True


def test_easter_sunday_itself_and_good_friday_are_not_public_holidays_in_brittany():
    every_day = "Mo-Su 09:00-18:00; PH off"
    assert is_open(every_day, at(date(2025, 4, 20), 10)) is True   # Easter Sunday
    assert is_open(every_day, at(date(2025, 4, 18), 10)) is True   # Good Friday (Alsace only)


def test_the_first_saturday_of_the_month():
    repair_cafe = "Sa[1] 10:00-12:00"
    assert is_open(repair_cafe, at(date(2025, 7, 5), 11)) is True
    assert is_open(repair_cafe, at(SATURDAY, 11)) is False


def test_a_day_of_the_year_closes():
    assert is_open("Mo-Su 09:00-18:00; Dec 24 off", at(date(2025, 12, 24), 10)) is False
    assert is_open("Mo-Su 09:00-18:00; Dec 24 off", at(date(2025, 12, 23), 10)) is True


def test_sunrise_and_sunset_are_those_of_brittany():
    # About 6:20 and 22:10 in Rennes in mid-July, French summer time.
    assert is_open("sunrise-sunset", at(SATURDAY, 6, 0)) is False
    assert is_open("sunrise-sunset", at(SATURDAY, 21, 45)) is True


def test_the_next_change_skips_a_public_holiday():
    # Saturday 12 July 2025, closed until Tuesday: Monday is the Fête nationale.
    change = parse("Mo-Fr 09:00-18:00; PH off").next_change(at(SATURDAY, 10))
    assert change == datetime(2025, 7, 15, 9, 0, tzinfo=PARIS)


def test_the_next_change_of_an_open_site_is_its_closing():
    assert parse(SHOP).next_change(at(MONDAY, 10)) == datetime(2025, 7, 7, 12, tzinfo=PARIS)


def test_nothing_changes_for_a_site_always_open():
    assert parse("24/7").next_change(at(MONDAY, 10)) is None


def test_values_beyond_the_french_wording_are_shown_as_written():
    assert to_french("Sa[1] 10:00-12:00") == ["Sa[1] 10:00-12:00"]
    assert to_french("SH off") == ["SH off"]


def test_loose_writing_accepted_by_the_reference_is_worded_from_its_normal_form():
    assert to_french("Mo-Fr 9:00-18:00") == ["Du lundi au vendredi : 9 h – 18 h"]
    assert to_french("mo-fr 10:00-12:00") == ["Du lundi au vendredi : 10 h – 12 h"]


# ---------------------------------------------------------------------------
# 6. Robustness: whatever is accepted can be worded and evaluated
# ---------------------------------------------------------------------------

def random_rule(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.3:
        parts.append(rng.choice(["Jan-Mar", "Jun-Aug", "Nov-Feb", "Jul", "Jun,Aug"]))
    if rng.random() < 0.8:
        parts.append(rng.choice(["Mo-Fr", "Sa", "Su,PH", "PH", "Mo,We,Fr", "Sa-Mo", "Mo-Su"]))
    if rng.random() < 0.7:
        starts = sorted(rng.sample(range(0, 24 * 4), 2))
        parts.append(",".join(f"{h:02d}:{m:02d}-{(h + 3) % 24:02d}:{m:02d}"
                              for h, m in ((s // 4, s % 4 * 15) for s in starts)))
    if rng.random() < 0.3:
        parts.append(rng.choice(["off", "closed", "open", "unknown"]))
    if rng.random() < 0.2 or not parts:
        parts.append('"sur rendez-vous"')
    return " ".join(parts)


def test_generated_valid_values_are_accepted_worded_and_evaluated():
    rng = random.Random(20250707)
    for _ in range(500):
        text = "; ".join(random_rule(rng) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.2:
            text += ' || "appeler avant"'
        hours = parse(text)
        lines = hours.to_french()
        assert lines and all(isinstance(line, str) and line for line in lines), text
        moment = datetime(2025, 1, 1) + timedelta(hours=rng.randint(0, 24 * 365))
        assert hours.is_open(moment) in (True, False, None)


def test_random_garbage_is_refused_cleanly_or_accepted_fully():
    rng = random.Random(42)
    alphabet = 'MoTuWeFrSaPHJan0123456789:-,;|" /offé[]+'
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        try:
            hours = parse(text)
        except OpeningHoursError as error:
            assert str(error), text
            continue
        assert hours.to_french(), text
        hours.is_open(datetime(2025, 7, 7, 10))


# ---------------------------------------------------------------------------
# 7. A corpus of real values (tests/data/opening_hours_corpus.txt)
# ---------------------------------------------------------------------------

def corpus() -> list[str]:
    path = Path(__file__).parent / "data" / "opening_hours_corpus.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("text", corpus())
def test_real_values_are_accepted_worded_and_evaluated(text):
    hours = parse(text)
    assert hours.to_french() and all(hours.to_french())
    moment = at(MONDAY, 10)
    assert hours.is_open(moment) in (True, False, None)
    change = hours.next_change(moment)
    assert change is None or change > moment.replace(tzinfo=PARIS)


def test_most_real_values_are_worded_in_french():
    worded = [t for t in corpus() if parse(t).to_french() != [parse(t).text]]
    assert len(worded) >= 0.6 * len(corpus())
