"""WCAG 2.2 AA on every public page, as axe-core (tests/vendor/axe.min.js) finds it in Chromium, at
desktop width and at 390 px: no serious or critical violation. The figures feed the « Accessibilité »
declaration through web/accessibility-audit.json (rewritten with CARTO_WRITE_AUDIT=1)."""
import json
import os
from datetime import date

import pytest

from carto.core.settings import PROJECT_ROOT
from tests.helpers import AXE, SERIOUS, audit

pytestmark = pytest.mark.browser

AUDIT = PROJECT_ROOT / "web" / "accessibility-audit.json"
WIDTHS = {"ordinateur": (1366, 800), "téléphone": (390, 844)}
# path -> what shows that the page's scripts have run (the map pages load their sites first)
PAGES = {
    "/": "#carto-status:has-text('dans la vue')",
    "/?site=1": ".carto-popup address",  # a shared site: its popup open, with its details
    "/liste": "main h1",
    "/sites/1": "main h1",
    "/proposer": "main h1",
    "/sites/1/modifier": "main h1",
    "/sites/1/signaler": "main h1",
    "/sourcing": "main h1",
    "/territoires": "main h1",
    "/territoires/couverture": "main h1",
    "/poles": "main h1",
    "/poles/reso-solidaire": "main h1",
    "/embed": "#carto-status:has-text('dans la vue')",
    "/embed?view=list": "main",
    "/embed/builder": "main h1",
    "/connexion": "main h1",
    "/accessibilite": "main h1",
    "/mentions-legales": "main h1",
    "/donnees-personnelles": "main h1",
}


def test_every_public_page_has_no_serious_wcag_violation(live_server, browser):
    found = {}
    for device, (width, height) in WIDTHS.items():
        # bypass_csp: our pages run no inline script without their nonce, and axe is injected inline.
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR", bypass_csp=True)
        page = context.new_page()
        for path, ready in PAGES.items():
            found[f"{path} ({device})"] = audit(page, live_server.url + path, ready)
        context.close()
    serious = {where: [v for v in violations if v["impact"] in SERIOUS] for where, violations in found.items()}
    assert not any(serious.values()), json.dumps({k: v for k, v in serious.items() if v}, ensure_ascii=False, indent=1)
    if os.environ.get("CARTO_WRITE_AUDIT") == "1":
        write_audit(found)


def test_every_public_page_reflows_into_a_phone_width(live_server, browser):
    """WCAG 1.4.10 (reflow): at 390 px nothing is wider than the screen (wide tables scroll in their
    own region), so no page needs scrolling sideways."""
    context = browser.new_context(viewport=dict(zip(("width", "height"), WIDTHS["téléphone"])), locale="fr-FR")
    page = context.new_page()
    wider = {}
    for path, ready in PAGES.items():
        page.goto(live_server.url + path)
        page.wait_for_selector(ready)
        wider[path] = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert not {path: width for path, width in wider.items() if width > WIDTHS["téléphone"][0]}


def write_audit(found: dict[str, list[dict]]) -> None:
    version = AXE.read_text(encoding="utf-8")[:40].split("axe v")[1].split()[0]
    remaining = sorted({(v["rule"], v["impact"], v["help"]) for violations in found.values() for v in violations})
    AUDIT.write_text(json.dumps({
        "date": date.today().isoformat(), "tool": f"axe-core {version}", "standard": "WCAG 2.2 niveau AA",
        "widths": {device: width for device, (width, _) in WIDTHS.items()},
        "pages": sorted(PAGES), "serious_or_critical": 0,
        "remaining": [{"rule": r, "impact": i, "help": h} for r, i, h in remaining],
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def test_the_published_audit_covers_the_pages_tested_here():
    published = json.loads(AUDIT.read_text(encoding="utf-8"))
    assert published["pages"] == sorted(PAGES) and published["serious_or_critical"] == 0
    assert published["tool"].startswith("axe-core ")
