"""Small cleaners of the text values found in source files."""
import re

from carto.core.textnorm import fold

TRUE_WORDS = {"1", "true", "vrai", "oui", "yes", "x", "o"}
_SPACES = re.compile(r"\s+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_CODE_SEPARATORS = re.compile(r"[\s.]")


def text(value) -> str:
    """A value as clean text: None → "", inner runs of spaces collapsed."""
    if value is None:
        return ""
    cleaned = (value if isinstance(value, str) else str(value)).strip()
    if "  " in cleaned or "\n" in cleaned or "\t" in cleaned or "\r" in cleaned:
        cleaned = _SPACES.sub(" ", cleaned)
    return cleaned


def optional(value) -> str | None:
    return text(value) or None


def split(value, separator: str) -> list[str]:
    """Codes of a separated list (or of a JSON list), stripped, empty ones dropped."""
    if not value:
        return []
    items = value if isinstance(value, list) else value.split(separator)
    return [t for t in (str(v).strip() for v in items) if t]


def number(value) -> float | None:
    """A decimal number, accepting a French decimal comma; None when empty or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        return None


def truthy(value) -> bool:
    if isinstance(value, bool):
        return value
    return fold(text(value)) in TRUE_WORDS


def website(value) -> str | None:
    """Sources often drop the scheme ("www.exemple.fr"): assume https."""
    url = text(value)
    if url and not _SCHEME.match(url):
        url = "https://" + url
    return url or None


def digits(value, width: int) -> str | None:
    """A code made of digits (SIRET, postcode) whose leading zeros a spreadsheet may have dropped."""
    code = _CODE_SEPARATORS.sub("", text(value))
    if code.isdigit() and len(code) < width:
        code = code.zfill(width)
    return code or None


def join(*parts: str | None, sep: str = "\n\n") -> str:
    """Non-empty parts joined (paragraphs by default)."""
    return sep.join(p.strip() for p in parts if p and p.strip())
