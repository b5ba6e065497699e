"""Text folding for accent- and case-insensitive search in French."""
import re
import unicodedata
from functools import lru_cache

# NFKD does not decompose these ligatures: fold them by hand so "oeuvre" finds "Œuvre".
_LIGATURES = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"}
_WORD = re.compile(r"\w+", re.UNICODE)


class _Folding(dict):
    """``str.translate`` table of each non-ASCII character to its NFKD decomposition without
    combining marks, filled as characters are met. Decomposition works character by character and
    canonical reordering only moves the combining marks dropped here, so folding a text character by
    character is folding it whole — several times faster for imports, which fold every name."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        decomposed = _LIGATURES.get(char) or unicodedata.normalize("NFKD", char)
        self[code] = folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        return folded


_FOLDING = _Folding()


def fold(text: str | None) -> str:
    """Lower-case, ligatures expanded, diacritics removed: "Œuvre Réemploi" → "oeuvre reemploi"."""
    if not text:
        return ""
    if text.isascii():  # nothing to fold but the case
        return text.lower()
    return text.translate(_FOLDING).lower()


_SORT_LIGATURES = (("œ", "oe"), ("Œ", "Oe"), ("æ", "ae"), ("Æ", "Ae"))


def sort_text(text: str) -> str:
    """Case- and accent-free text to order names by, as a French reader does (Œ as OE); a letter
    without an ASCII base (ø) only moves within its neighbours."""
    return _sort_bytes(text).decode()


def _sort_bytes(text: str) -> bytes:
    # Ligatures by ``str.replace``, where ``str.translate`` looked every character of a non-ASCII name
    # up in its table; then punctuation dropped by ``bytes.translate``, not a regular expression: the
    # sort key of « [Démo] Ressourcerie n° 1234 de Saint-Brieuc » 18.1 → 2.7 µs.
    for ligature, letters in _SORT_LIGATURES:
        if ligature in text:
            text = text.replace(ligature, letters)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").lower()


def french_compare(a: str, b: str) -> int:
    """Names compared as ``sort_text`` orders them, accents and case breaking ties (a SQLite collation)."""
    first, second = sort_text(a), sort_text(b)
    if first != second:
        return -1 if first < second else 1
    return (a > b) - (a < b)


_NOT_SORTED = bytes(sorted(set(range(256)) - set(b"0123456789abcdefghijklmnopqrstuvwxyz")))


def sort_key(name: str | None) -> str:
    """The key a name sorts by, as a French reader expects: « Œuvre » as OEUVRE, accents, case,
    spaces and punctuation ignored, « Le », « La » kept (« L'Atelier » files under L).

    Only ASCII letters and digits remain, which every collation orders alike — C, ICU or glibc's
    fr_FR — so SQLite and PostgreSQL return the same order whatever the server's locale."""
    return _sort_bytes(name or "").translate(None, _NOT_SORTED).decode()


def words(text: str | None) -> list[str]:
    """Folded words of a text (apostrophes and hyphens separate words)."""
    return _WORD.findall(fold(text))


# Search folding, the same for the indexed text and the query on both backends (done here, not by
# the database): abbreviations spelled out, then plurals and common endings folded, so that
# « vélos » finds « vélo », « réparer » finds « réparation » and « St Malo » finds « Saint-Malo ».
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "stes": "saintes", "sts": "saints"}
# Longest first; only stripped when at least ``_MIN_STEM`` letters remain.
_ENDINGS = ("issement", "ements", "ement", "ations", "ation", "atrices", "atrice", "ateurs", "ateur",
            "euses", "euse", "eurs", "eur", "eries", "erie", "ages", "age", "ees", "ee", "er", "e")
_MIN_STEM = 4
_SEARCH_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits: what both indexes see as a word


@lru_cache(maxsize=1 << 16)  # a batch of sites repeats the same words (activities, communes, streets)
def stem(word: str) -> str:
    """The search stem of a folded word: « velos » → « velo », « reparateurs » → « repar ».

    Apart from abbreviations, a stem is always a prefix of its word, so a prefix search for the stem
    finds the word itself as well as its other forms."""
    word = _ABBREVIATIONS.get(word, word)
    if word.isdigit():
        return word
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        word = word[:-1]
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[:-len(ending)]
    return word


def search_words(text: str | None) -> list[str]:
    """Folded words of a text split as the search indexes split them (``_`` and punctuation apart)."""
    return _SEARCH_WORD.findall(fold(text))


def index_terms(text: str | None) -> str:
    """The text as a search index stores it: each word followed by its stem when it differs, so that
    a stem finds every form and a word still being typed (« recycleri ») finds its full form."""
    return " ".join(map(_terms, search_words(text)))


@lru_cache(maxsize=1 << 16)
def _terms(word: str) -> str:
    """A folded word followed by its stem when it differs."""
    stemmed = stem(word)
    return word if stemmed == word else f"{word} {stemmed}"
