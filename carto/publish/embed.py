"""Options of the embeddable map, read leniently from a partner's URL, and the embed snippet.

An embed never shows an error page: unknown options are ignored and bad values fall back to
their defaults, because a partner's page cannot show our error messages to its visitors.
"""
import html
import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

from carto.query.params import whole_number
from carto.core.taxonomy import Taxonomy

TERRITORY_KEYS = ("pole", "epci", "pays", "departement")
TRUE, FALSE = {"1", "true", "oui", "yes", "on"}, {"0", "false", "non", "no", "off"}
LANGUAGES = ("fr", "en")
VIEWS = ("map", "list")
MAX_TEXT = 200  # characters of the text search, as the public API
# Options that are filters of the public pages too (same names as /api/sites, / and /liste).
FILTER_KEYS = ("activity", "domain", *TERRITORY_KEYS, "q", "siae", "ea", "near")
TITLES = {"fr": "Carte des acteurs de l'ESS en Bretagne",
          "en": "Map of the social and solidarity economy in Brittany"}
HEIGHTS = (250, 2000)  # px, the snippet's iframe
DEFAULT_HEIGHT = 600


@dataclass
class EmbedOptions:
    activities: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    locked: bool = False  # the visitor may not change the preset filters
    territory: tuple[str, str] | None = None  # (level, code), e.g. ("pole", "adesk")
    bbox: tuple[float, float, float, float] | None = None
    center: tuple[float, float] | None = None  # lat, lon
    zoom: int | None = None
    view: str = "map"
    legend: bool = True
    header: bool = False
    contribute: bool = True  # "proposer un site" / "signaler" links, opening in a new tab
    lang: str = "fr"
    # The visitor's own narrowing, carried when the embed switches between map and list.
    q: str | None = None
    siae: bool = False
    ea: bool = False
    near: tuple[float, float] | None = None  # lon, lat: the list sorted around the map's centre

    def query(self) -> dict[str, str]:
        """The query string that gives back these options (non-default values only)."""
        out: dict[str, str] = {}
        if self.activities:
            out["activity"] = ",".join(self.activities)
        if self.domains:
            out["domain"] = ",".join(self.domains)
        if self.locked:
            out["lock"] = "1"
        if self.territory:
            out[self.territory[0]] = self.territory[1]
        if self.bbox:
            out["bbox"] = ",".join(f"{v:g}" for v in self.bbox)
        if self.center:
            out["center"] = f"{self.center[0]:g},{self.center[1]:g}"
        if self.zoom is not None:
            out["zoom"] = str(self.zoom)
        for name, value, default in (("view", self.view, "map"), ("lang", self.lang, "fr")):
            if value != default:
                out[name] = value
        for name, value, default in (("legend", self.legend, True), ("header", self.header, False),
                                     ("contrib", self.contribute, True)):
            if value != default:
                out[name] = "1" if value else "0"
        if self.q:
            out["q"] = self.q
        out |= {name: "true" for name, on in (("siae", self.siae), ("ea", self.ea)) if on}
        if self.near:
            out["near"] = f"{self.near[0]:g},{self.near[1]:g}"
        return out

    def filters(self) -> dict[str, str]:
        """The part of ``query()`` that the public map and list understand as their filters."""
        return {k: v for k, v in self.query().items() if k in FILTER_KEYS}

    def display(self) -> dict[str, str]:
        """The rest of ``query()``: how the embed looks (view, language, legend, lock, framing…)."""
        return {k: v for k, v in self.query().items() if k not in FILTER_KEYS}


def _flag(raw: str | None, default: bool) -> bool:
    value = (raw or "").strip().lower()
    return True if value in TRUE else False if value in FALSE else default


def _numbers(raw: str | None, count: int) -> list[float] | None:
    try:
        values = [float(v) for v in (raw or "").split(",")]
    except ValueError:
        return None
    if len(values) != count or not all(math.isfinite(v) for v in values):
        return None
    return values


def _bbox(raw: str | None):
    values = _numbers(raw, 4)
    if not values:
        return None
    w, s, e, n = values
    ok = -180 <= w < e <= 180 and -90 <= s < n <= 90
    return (w, s, e, n) if ok else None


def _center(raw: str | None):
    values = _numbers(raw, 2)
    if values and -90 <= values[0] <= 90 and -180 <= values[1] <= 180:
        return values[0], values[1]
    return None


def _near(raw: str | None):
    values = _numbers(raw, 2)
    if values and -180 <= values[0] <= 180 and -90 <= values[1] <= 90:
        return values[0], values[1]
    return None


def _text(raw: str | None) -> str | None:
    printable = "".join(c for c in (raw or "") if c.isprintable() or c.isspace())
    return " ".join(printable.split())[:MAX_TEXT] or None


def _zoom(raw: str | None) -> int | None:
    return whole_number(raw, 1, 19)


def _slugs(params, name: str, known) -> list[str]:
    raw = [v for value in params.getlist(name) for v in value.split(",")]
    return sorted({v.strip() for v in raw if v.strip() in known})


def parse(params, taxonomy: Taxonomy, territory_exists) -> EmbedOptions:
    """Options from a query-parameter multidict; ``territory_exists(level, code)`` checks presets."""
    territory = next(((k, params[k]) for k in TERRITORY_KEYS
                      if params.get(k) and territory_exists(k, params[k])), None)
    return EmbedOptions(
        activities=_slugs(params, "activity", taxonomy.activities),
        domains=_slugs(params, "domain", {d.slug for d in taxonomy.domains}),
        locked=_flag(params.get("lock"), False),
        territory=territory,
        bbox=_bbox(params.get("bbox")),
        center=_center(params.get("center")),
        zoom=_zoom(params.get("zoom")),
        view=params.get("view") if params.get("view") in VIEWS else "map",
        legend=_flag(params.get("legend"), True),
        header=_flag(params.get("header"), False),
        contribute=_flag(params.get("contrib"), True),
        lang=params.get("lang") if params.get("lang") in LANGUAGES else "fr",
        q=_text(params.get("q")),
        siae=_flag(params.get("siae"), False),
        ea=_flag(params.get("ea"), False),
        near=_near(params.get("near")),
    )


def embed_url(base_url: str, options: EmbedOptions) -> str:
    query = urlencode(options.query(), safe=",")  # commas stay readable in a partner's copy
    return f"{base_url.rstrip('/')}/embed" + (f"?{query}" if query else "")


def snippet_settings(params, lang: str = "fr") -> dict:
    """Title, height and resizer of the snippet (``title``, ``height``, ``resize``), leniently."""
    asked = whole_number(params.get("height"), 0, 10**9 - 1)
    height = DEFAULT_HEIGHT if asked is None else min(max(asked, HEIGHTS[0]), HEIGHTS[1])
    return {"title": _text(params.get("title")) or TITLES.get(lang, TITLES["fr"]), "height": height,
            "resize_script": _flag(params.get("resize"), False)}


def snippet(base_url: str, options: EmbedOptions, title: str = TITLES["fr"],
            height: int = DEFAULT_HEIGHT, resize_script: bool = False) -> str:
    """The HTML a partner pastes: a responsive iframe with a title, and optionally the resizer."""
    src = _attribute(embed_url(base_url, options))
    code = (f'<iframe src="{src}" title="{_attribute(title)}" '
            f'style="width:100%;max-width:100%;height:{int(height)}px;border:0" '
            f'loading="lazy" allow="geolocation"></iframe>')
    if resize_script:
        code += f'\n<script src="{_attribute(base_url.rstrip("/"))}/static/js/embed-resize.js" defer></script>'
    return code


def _attribute(value: str) -> str:
    """A double-quoted attribute value; apostrophes stay readable in the partner's copy."""
    return html.escape(value, quote=False).replace('"', "&quot;")
