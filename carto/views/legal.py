"""What the legal pages show: who publishes the service, and the state of its accessibility audit.

The audit is the one the browser tests run (axe-core on every public page, desktop and phone
widths): ``tests/test_accessibility_browser.py`` writes its figures to ``web/accessibility-audit.json``,
and ``/accessibilite`` states them. Without that file, the page says no audit is published.
"""
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from carto.core.settings import PROJECT_ROOT, Settings

AUDIT_FILE = PROJECT_ROOT / "web" / "accessibility-audit.json"
RETENTION = "jusqu'à votre demande d'effacement"  # no automatic expiry is implemented: say so


@dataclass(frozen=True)
class Audit:
    date: date
    tool: str
    standard: str
    pages: list[str]
    serious_or_critical: int
    remaining: list[dict]  # rules still reported, of lesser impact: {rule, impact, help}

    @property
    def state(self) -> str:
        """RGAA's wording: only a full manual audit may declare « totalement conforme »."""
        return "partiellement conforme" if self.serious_or_critical == 0 else "non conforme"


def audit(path: Path | None = None) -> Audit | None:
    try:
        raw = json.loads((path or AUDIT_FILE).read_text(encoding="utf-8"))
        return Audit(date.fromisoformat(str(raw["date"])), str(raw["tool"]), str(raw.get("standard", "WCAG 2.2 niveau AA")),
                     [str(p) for p in raw.get("pages", [])], int(raw.get("serious_or_critical", 0)),
                     [dict(r) for r in raw.get("remaining", [])])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def state(path: Path | None = None) -> str:
    """The compliance state every footer states (RGAA), read again only when the audit file changes."""
    path = path or AUDIT_FILE
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _state(path, stamp)


@lru_cache(maxsize=4)
def _state(path: Path, _stamp: int | None) -> str:
    found = audit(path)
    return found.state if found else "non conforme"


def publisher(settings: Settings) -> dict[str, str | None]:
    return {"name": settings.publisher_name, "address": settings.publisher_address,
            "director": settings.publication_director, "host": settings.host_name,
            "contact": settings.contact_email, "base_url": settings.public_base_url.rstrip("/")}
