"""Text folding for accent- and case-insensitive search in French."""
import re
import unicodedata

# NFKD does not decompose these ligatures: fold them by hand so "oeuvre" finds "Œuvre".
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str | None) -> str:
    """Lower-case, ligatures expanded, diacritics removed: "Œuvre Réemploi" → "oeuvre reemploi"."""
    if not text:
        return ""
    if text.isascii():  # nothing to fold but the case (and much faster: imports fold every name)
        return text.lower()
    text = text.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str | None) -> list[str]:
    """Folded words of a text (apostrophes and hyphens separate words)."""
    return _WORD.findall(fold(text))
