"""Which passwords an account may have: long enough, and not one of the most common ones.

The list ships with the code (``common_passwords.txt``, 30,000 entries): no service outside is
asked. A password is refused when it is on the list, or when it is a listed word wrapped in digits
and signs (« azertyuiop2024! », « 123jetaime456 »), or nothing but digits and signs: the first
things a guesser tries.
"""
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 200
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_WRAPPING = "0123456789!?.,;:*_-#@$%&+=/\\()[]{}<>~^'\" "


@lru_cache
def common() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    lowered = password.lower()
    core = lowered.strip(_WRAPPING)
    return lowered in common() or core in common() or not core  # "" : nothing but digits and signs


def problem(password: str) -> str | None:
    """Why ``password`` may not be used (in French), or None."""
    if not MIN_LENGTH <= len(password or "") <= MAX_LENGTH:
        return f"le mot de passe doit compter de {MIN_LENGTH} à {MAX_LENGTH} caractères"
    if is_common(password):
        return ("ce mot de passe fait partie des plus courants (ou en dérive) : les premiers essayés par qui "
                "veut entrer ; choisissez-en un autre, par exemple quelques mots sans rapport entre eux")
    return None
