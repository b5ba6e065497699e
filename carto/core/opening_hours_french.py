"""The subset of OpenStreetMap ``opening_hours`` that people write, read into rules so it can be
told in plain French, and the French diagnosis of a faulty value.

Acceptance and evaluation belong to the reference implementation (``carto.core.opening_hours``,
backed by ``opening-hours-py``); it answers in English, with a bare position. This reader covers
weekday ranges and lists, time ranges (several per day, past midnight), ``24/7``,
``off``/``closed``/``open``/``unknown``, public holidays (``PH``), month ranges, comments in double
quotes, and rules separated by ``;`` (normal), ``,`` (additional) and ``||`` (fallback, kept as a
plain comment): that is what its wording covers, and its error messages say in French what a
person most likely got wrong. Anything beyond the subset (``Sa[1]``, ``Dec 24``, ``SH``,
``sunrise``…) is valid but has no wording here: callers show it as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["OpeningHoursError", "Rules", "read", "to_french"]

WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MODIFIERS = ("open", "off", "closed", "unknown")
HOLIDAY = "PH"

_DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTH_NAMES = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet",
                "août", "septembre", "octobre", "novembre", "décembre")
_ENGLISH_MONTHS = ("january", "february", "march", "april", "may", "june", "july",
                   "august", "september", "october", "november", "december")
DAY_MINUTES = 24 * 60


# --------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------

class OpeningHoursError(ValueError):
    """Invalid ``opening_hours`` value; the message is French, for end users."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.position = position  # 1-based column of the fault, when known


@dataclass(frozen=True)
class TimeSpan:
    start: int  # minutes since midnight, 0..1439
    end: int    # minutes since midnight, 0..1440; end <= start runs past midnight

    @property
    def stop(self) -> int:
        """End on a continuous scale, beyond 1440 when the span crosses midnight."""
        return self.end if self.end > self.start else self.end + DAY_MINUTES


@dataclass(frozen=True)
class Rule:
    months: tuple[tuple[int, int], ...] = ()    # 1-based month ranges, may wrap (Nov-Feb)
    weekdays: tuple[tuple[int, int], ...] = ()  # 0 = Monday, ranges may wrap (Sa-Mo)
    holidays: bool = False                      # "PH" is among the day selectors
    always: bool = False                        # written "24/7"
    spans: tuple[TimeSpan, ...] = ()
    modifier: str | None = None                 # open / off / closed / unknown, as written
    comment: str | None = None
    additional: bool = False  # after ",": adds to earlier rules instead of replacing them

    @property
    def state(self) -> bool | None:
        """True open, False closed, None unknown."""
        if self.modifier in ("off", "closed"):
            return False
        if self.modifier == "unknown":
            return None
        # OSM reads a bare comment on a day ("Mo "sur rendez-vous"") as unknown.
        if self.modifier is None and self.comment and not (self.spans or self.always):
            return None
        return True

    @property
    def every_day(self) -> bool:
        return not (self.months or self.weekdays or self.holidays)

@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    fallbacks: tuple[str, ...] = ()  # "||" rules, kept as comments


def read(text: str) -> Rules:
    """The rules of ``text``; OpeningHoursError (French, with the position) when it is faulty
    or beyond the subset."""
    return _Parser(text).parse()


def to_french(rules: Rules) -> list[str]:
    """One French line per rule, then one per fallback, e.g. « Du lundi au vendredi : 9 h – 18 h »."""
    return [_rule_line(r) for r in rules.rules] + [f"Sinon : {f}" for f in rules.fallbacks]


# --------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------

class _Token(NamedTuple):
    kind: str   # comment, always, fallback, time, number, word, punct, bad
    value: str
    pos: int    # 1-based column, as shown to users

    @property
    def end(self) -> int:
        """0-based index just past the token."""
        return self.pos - 1 + len(self.value)


_TOKEN_RE = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>"[^"]*")
  | (?P<always>24/7)
  | (?P<fallback>\|\|)
  | (?P<time>[0-9]+:[0-9]+)
  | (?P<number>[0-9]+)
  | (?P<word>[^\W\d_]+)
  | (?P<punct>[-,;])
""", re.VERBOSE)


def _tokenize(text: str) -> list[_Token]:
    """Tokens of ``text``; an unreadable character ends the list as a "bad" token.

    Deferring that error lets the parser report an earlier fault first.
    """
    tokens, i = [], 0
    while i < len(text):
        match = _TOKEN_RE.match(text, i)
        if match is None:
            tokens.append(_Token("bad", text[i], i + 1))
            break
        if match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup, match.group(), i + 1))
        i = match.end()
    return tokens


# --------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------

_ORDER_HINT = "ordre attendu : mois, jours, heures, état (off, open…), commentaire"


class _Parser:
    """Recursive descent over the tokens; one method per piece of a rule."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    # -- token access -----------------------------------------------------

    def peek(self, ahead: int = 0) -> _Token | None:
        j = self.i + ahead
        tok = self.tokens[j] if j < len(self.tokens) else None
        if tok is not None and tok.kind == "bad":
            raise _bad_char_error(tok)
        return tok

    def take(self) -> _Token:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, kind: str, value: str | None = None, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok is not None and tok.kind == kind and value in (None, tok.value)

    def at_word(self, names, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok is not None and tok.kind == "word" and tok.value in names

    def at_rule_end(self) -> bool:
        return (self.peek() is None or self.at("fallback")
                or self.at("punct", ";") or self.at("punct", ","))

    # -- rules --------------------------------------------------------------

    def parse(self) -> Rules:
        rules, fallbacks, kind = [], [], "normal"
        while kind is not None:
            if kind == "fallback":
                fallbacks.append(self.fallback())
            else:
                rules.append(self.rule(additional=kind == "additional"))
            kind = self.separator()
        return Rules(tuple(rules), tuple(fallbacks))

    def separator(self) -> str | None:
        """Kind of the next rule, None at the end of the text."""
        tok = self.peek()
        if tok is None:
            return None
        if tok.kind == "fallback":
            self.take()
            return "fallback"
        if not (tok.kind == "punct" and tok.value in ";,"):
            raise self.unexpected(tok)
        self.take()
        if tok.value == ";":
            return None if self.peek() is None else "normal"  # trailing ";" is harmless
        # "," also separates days and hours: demand a day after it to stay unambiguous.
        if not (self.at_word(MONTHS) or self.at_word(WEEKDAYS) or self.at_word((HOLIDAY,))):
            raise self.after_comma_error(tok)
        return "additional"

    def rule(self, additional: bool) -> Rule:
        if self.at_rule_end():
            raise self.empty_rule_error()
        if self.at("always"):
            self.take()
            selectors = {"always": True}
        else:
            months = self.months()
            weekdays, holidays = self.days()
            selectors = {"months": months, "weekdays": weekdays,
                         "holidays": holidays, "spans": self.spans()}
        modifier, comment = self.modifier(), self.comment()
        if not self.at_rule_end():
            raise self.unexpected(self.peek())
        return Rule(**selectors, modifier=modifier, comment=comment, additional=additional)

    def fallback(self) -> str:
        """Raw text of a "||" rule, up to the next ";" or "||"."""
        arrow = self.tokens[self.i - 1]
        first = last = None
        while not (self.peek() is None or self.at("fallback") or self.at("punct", ";")):
            last = self.take()
            first = first or last
        if last is None:
            raise OpeningHoursError(
                f"Règle de repli vide après « || » en position {arrow.pos}", arrow.pos)
        if first is last and first.kind == "comment":
            return _comment_text(first)
        return self.text[first.pos - 1:last.end]

    # -- selectors ------------------------------------------------------------

    def months(self) -> tuple[tuple[int, int], ...]:
        items = []
        while self.at_word(MONTHS):
            items.append(self.range_of(MONTHS, base=1))
            if not (self.at("punct", ",") and self.at_word(MONTHS, ahead=1)):
                break
            self.take()
        return tuple(items)

    def days(self) -> tuple[tuple[tuple[int, int], ...], bool]:
        ranges, holidays = [], False
        day_words = WEEKDAYS + (HOLIDAY,)
        while self.at_word(day_words):
            if self.at_word((HOLIDAY,)):
                self.take()
                holidays = True
            else:
                ranges.append(self.range_of(WEEKDAYS, base=0))
            if not (self.at("punct", ",") and self.at_word(day_words, ahead=1)):
                break
            self.take()
        return tuple(ranges), holidays

    def range_of(self, names: tuple[str, ...], base: int) -> tuple[int, int]:
        """"Mo" or "Mo-Fr" (resp. months) as 0- or 1-based indexes."""
        first = names.index(self.take().value) + base
        if not self.at("punct", "-"):
            return first, first
        dash = self.take()
        if not self.at_word(names):
            raise self.range_end_error(dash)
        return first, names.index(self.take().value) + base

    def spans(self) -> tuple[TimeSpan, ...]:
        spans = []
        while self.at("time") or self.at("number"):
            spans.append(self.span())
            if not (self.at("punct", ",")
                    and (self.at("time", ahead=1) or self.at("number", ahead=1))):
                break
            self.take()
        return tuple(spans)

    def span(self) -> TimeSpan:
        first = self.take()
        start = _minutes(first)
        if start == DAY_MINUTES:
            raise OpeningHoursError(
                f"Une plage ne peut pas commencer à 24:00 (position {first.pos}) ; "
                "écrivez 00:00", first.pos)
        if not self.at("punct", "-"):
            raise _incomplete_span_error(first)
        dash = self.take()
        if not (self.at("time") or self.at("number")):
            raise OpeningHoursError(
                f"Heure de fin manquante après « - » en position {dash.pos}", dash.pos)
        last = self.take()
        end = _minutes(last)
        if end == start:
            raise OpeningHoursError(
                f"Plage horaire vide « {first.value}-{last.value} » en position {first.pos}",
                first.pos)
        return TimeSpan(start, end)

    def modifier(self) -> str | None:
        return self.take().value if self.at_word(MODIFIERS) else None

    def comment(self) -> str | None:
        return _comment_text(self.take()) if self.at("comment") else None

    # -- errors ----------------------------------------------------------------

    def empty_rule_error(self) -> OpeningHoursError:
        if self.i == 0:
            tok = self.peek()
            return OpeningHoursError(
                f"Règle vide en position {tok.pos} : rien avant « {tok.value} »", tok.pos)
        prev = self.tokens[self.i - 1]
        return OpeningHoursError(
            f"Règle vide après « {prev.value} » en position {prev.pos}", prev.pos)

    def after_comma_error(self, comma: _Token) -> OpeningHoursError:
        tok = self.peek()
        if tok is None:
            return OpeningHoursError(
                f"Virgule en trop en fin de texte (position {comma.pos})", comma.pos)
        return OpeningHoursError(
            f"« {tok.value} » inattendu après la virgule en position {tok.pos} ; "
            "séparez les règles par « ; »", tok.pos)

    def range_end_error(self, dash: _Token) -> OpeningHoursError:
        tok = self.peek()
        if tok is None:
            return OpeningHoursError(
                f"Fin de plage manquante après « - » en position {dash.pos}", dash.pos)
        return self.unexpected(tok)

    def unexpected(self, tok: _Token) -> OpeningHoursError:
        if tok.kind == "word":
            return _word_error(tok)
        if tok.kind == "always":
            message = f"« 24/7 » en position {tok.pos} doit être seul en début de règle"
        elif tok.kind == "comment":
            message = (f"Commentaire inattendu en position {tok.pos} ; "
                       "un seul commentaire par règle, à la fin de la règle")
        elif tok.kind in ("time", "number"):
            message = f"Heure « {tok.value} » inattendue en position {tok.pos} ; {_ORDER_HINT}"
        else:
            message = f"« {tok.value} » inattendu en position {tok.pos} ; {_ORDER_HINT}"
        return OpeningHoursError(message, tok.pos)


# --------------------------------------------------------------------------
# Token checks and diagnostics (French messages)
# --------------------------------------------------------------------------

def _comment_text(tok: _Token) -> str:
    text = tok.value[1:-1].strip()
    if not text:
        raise OpeningHoursError(f"Commentaire vide en position {tok.pos}", tok.pos)
    return text


def _minutes(tok: _Token) -> int:
    """Minutes since midnight of an H:MM or HH:MM token (00:00 to 24:00)."""
    if tok.kind == "number" or not re.fullmatch(r"[0-9]{1,2}:[0-9]{2}", tok.value):
        raise _time_format_error(tok)
    hours, minutes = (int(part) for part in tok.value.split(":"))
    if minutes > 59 or hours * 60 + minutes > DAY_MINUTES:
        raise OpeningHoursError(
            f"Heure invalide « {tok.value} » en position {tok.pos} ; "
            "les heures vont de 00:00 à 24:00", tok.pos)
    return hours * 60 + minutes


def _time_format_error(tok: _Token) -> OpeningHoursError:
    hours, _, minutes = tok.value.partition(":")
    fixed = f"{int(hours):02d}:{int(minutes or 0):02d}"
    what = "incomplète" if tok.kind == "number" else "mal écrite"
    plausible = int(hours) <= 24 and int(minutes or 0) <= 59
    advice = f"écrivez {fixed}" if plausible else "par exemple 09:00"
    return OpeningHoursError(
        f"Heure « {tok.value} » {what} en position {tok.pos} ; "
        f"format attendu HH:MM, {advice}", tok.pos)


def _incomplete_span_error(tok: _Token) -> OpeningHoursError:
    return OpeningHoursError(
        f"Plage horaire incomplète en position {tok.pos} : « {tok.value} » doit être "
        f"suivi de « -HH:MM », par exemple {tok.value}-18:00", tok.pos)


def _bad_char_error(tok: _Token) -> OpeningHoursError:
    char, pos = tok.value, tok.pos
    if char == '"':
        message = (f"Guillemet non fermé en position {pos} ; "
                   "un commentaire s'écrit \"entre guillemets\"")
    elif char in "–—‑":
        message = f"Tiret « {char} » en position {pos} ; utilisez le tiret simple « - »"
    elif char == ":":
        message = (f"« : » inattendu en position {pos} ; écrivez les jours puis les heures "
                   "sans deux-points, par exemple Mo-Fr 09:00-18:00")
    elif char == "|":
        message = f"« | » seul en position {pos} ; la règle de repli s'écrit « || »"
    else:
        message = f"Caractère inattendu « {char} » en position {pos}"
    return OpeningHoursError(message, pos)


# French words users type instead of the OSM keywords.
_FRENCH_KEYWORDS = {"ferme": "off", "fermee": "off", "ouvert": "open", "ouverte": "open",
                    "ferie": "PH", "feries": "PH", "jf": "PH", "inconnu": "unknown"}
_FRENCH_DAY_WORDS = {"lu": 0, "lun": 0, "ma": 1, "mar": 1, "me": 2, "mer": 2,
                     "je": 3, "jeu": 3, "ve": 4, "ven": 4, "sa": 5, "sam": 5,
                     "di": 6, "dim": 6}


def _plain(word: str) -> str:
    """Lower case without accents, to compare what users type."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _word_error(tok: _Token) -> OpeningHoursError:
    word, pos = tok.value, tok.pos
    # Order matters: "mar" is mardi to a French user before being a miscased "Mar".
    for diagnose in (_misplaced_keyword, _french_keyword, _french_day_word,
                     _miscased_keyword, _two_letter_day_word, _month_word):
        message = diagnose(word, pos)
        if message:
            return OpeningHoursError(message, pos)
    return OpeningHoursError(f"Mot inconnu « {word} » en position {pos} ; {_ORDER_HINT}", pos)


def _misplaced_keyword(word: str, pos: int) -> str | None:
    if word in WEEKDAYS or word == HOLIDAY:
        return f"« {word} » inattendu en position {pos} ; séparez les règles par « ; »"
    if word in MONTHS:
        return f"« {word} » inattendu en position {pos} ; les mois se placent en début de règle"
    if word in MODIFIERS:
        return f"« {word} » inattendu en position {pos} ; {_ORDER_HINT}"
    return None


def _french_keyword(word: str, pos: int) -> str | None:
    keyword = _FRENCH_KEYWORDS.get(_plain(word))
    return keyword and f"Mot inconnu « {word} » en position {pos} ; écrivez « {keyword} »"


def _french_day_word(word: str, pos: int) -> str | None:
    plain = _plain(word)
    index = _FRENCH_DAY_WORDS.get(plain)
    if index is None:
        index = next((i for i, name in enumerate(_DAY_NAMES) if name == plain), None)
    if index is None:
        return None
    return f"{_unknown_day(word, pos)} ({_DAY_NAMES[index]} s'écrit {WEEKDAYS[index]})"


def _two_letter_day_word(word: str, pos: int) -> str | None:
    return _unknown_day(word, pos) if len(word) == 2 else None


def _unknown_day(word: str, pos: int) -> str:
    return f"Jour inconnu « {word} » en position {pos} ; utilisez {', '.join(WEEKDAYS)}"


def _miscased_keyword(word: str, pos: int) -> str | None:
    known = WEEKDAYS + MONTHS + MODIFIERS + (HOLIDAY,)
    right = next((k for k in known if k.lower() == word.lower()), None)
    return right and f"« {word} » mal écrit en position {pos} ; écrivez « {right} »"


def _month_word(word: str, pos: int) -> str | None:
    plain = _plain(word)
    if len(plain) < 3:
        return None
    names = [_plain(n) for n in _MONTH_NAMES]
    index = next((i for i, n in enumerate(names) if n.startswith(plain)), None)
    if index is None:
        index = next((i for i, n in enumerate(_ENGLISH_MONTHS) if n == plain), None)
    if index is None:
        return None
    return (f"Mois inconnu « {word} » en position {pos} ; utilisez {', '.join(MONTHS)} "
            f"({_MONTH_NAMES[index]} s'écrit {MONTHS[index]})")


# --------------------------------------------------------------------------
# French wording
# --------------------------------------------------------------------------

def _rule_line(rule: Rule) -> str:
    if rule.every_day and not rule.spans:
        if rule.state is True and (rule.always or not rule.comment):
            return _with_comment("Ouvert 24 h/24, 7 j/7", rule.comment)
        return _capitalize(_hours_phrase(rule))
    if rule.holidays and not (rule.months or rule.weekdays or rule.spans) and rule.state is False:
        return _with_comment("Fermé les jours fériés", rule.comment)
    return f"{_capitalize(_selector_phrase(rule))} : {_hours_phrase(rule)}"


def _selector_phrase(rule: Rule) -> str:
    parts = []
    if rule.months:
        parts.append(_join_fr([_month_item(a, b) for a, b in rule.months]))
    days = [_weekday_item(a, b) for a, b in rule.weekdays]
    if rule.holidays:
        days.append("jours fériés")
    if days:
        parts.append(_join_fr(days))
    return ", ".join(parts) or "tous les jours"


def _weekday_item(first: int, last: int) -> str:
    if first == last:
        return _DAY_NAMES[first]
    if (last - first) % 7 == 6:
        return "tous les jours"
    return f"du {_DAY_NAMES[first]} au {_DAY_NAMES[last]}"


def _month_item(first: int, last: int) -> str:
    if first == last:
        return f"en {_MONTH_NAMES[first - 1]}"
    if (last - first) % 12 == 11:
        return "toute l'année"
    start = _MONTH_NAMES[first - 1]
    article = "d'" if start[0] in "aeiouy" else "de "
    return f"{article}{start} à {_MONTH_NAMES[last - 1]}"


def _hours_phrase(rule: Rule) -> str:
    if rule.comment and not rule.spans and rule.state is not False:
        return rule.comment  # « sur rendez-vous » says more than « ouvert 24 h/24 »
    return _with_comment(_state_phrase(rule), rule.comment)


def _state_phrase(rule: Rule) -> str:
    if rule.state is True:
        return _join_fr([_dash_span(s) for s in rule.spans]) or "ouvert 24 h/24"
    label = "fermé" if rule.state is False else "ouverture incertaine"
    spans = _join_fr([_prose_span(s) for s in rule.spans])
    return f"{label} {spans}" if spans else label


def _dash_span(span: TimeSpan) -> str:
    if span.start == 0 and span.stop == DAY_MINUTES:
        return "24 h/24"
    return f"{_clock(span.start)} – {_clock(_display_end(span))}"


def _prose_span(span: TimeSpan) -> str:
    return f"de {_clock(span.start)} à {_clock(_display_end(span))}"


def _display_end(span: TimeSpan) -> int:
    # 18:00-00:00 reads "18 h – 24 h"; 22:00-02:00 reads "22 h – 2 h".
    return span.stop if span.stop <= DAY_MINUTES else span.stop - DAY_MINUTES


def _clock(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _join_fr(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} et {items[-1]}"


def _with_comment(text: str, comment: str | None) -> str:
    return f"{text} ({comment})" if comment else text


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
