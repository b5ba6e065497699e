"""Options of the embeddable map, read leniently from a partner's URL, and the embed snippet.

An embed never shows an error page: unknown options are ignored and bad values fall back to
their defaults, because a partner's page cannot show our error messages to its visitors.
"""
import html
from dataclasses import dataclass, field
from urllib.parse import urlencode

from carto.core.taxonomy import Taxonomy
from carto.query import params as vocabulary
from carto.query.params import lenient, whole_number

# Options that are filters of the public pages too (same names as /api/sites, / and /liste).
FILTER_KEYS = vocabulary.EMBED_FILTERS
TERRITORY_KEYS = tuple(f.name for f in vocabulary.FILTERS if f.territory and f.embed)
LANGUAGES = ("fr", "en")
VIEWS = ("map", "list")
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


def _flag(params, name: str, default: bool) -> bool:
    value = lenient(vocabulary.parse_bool, params.get(name), name)
    return default if value is None else value


def _center(raw: str | None) -> tuple[float, float] | None:
    """``lat,lon``: a point written the other way round (as Leaflet takes it)."""
    lat_lon = lenient(vocabulary.parse_floats, "center", raw or "", (2,))
    point = lat_lon and lenient(vocabulary.parse_point, f"{lat_lon[1]},{lat_lon[0]}", "center")
    return (point[1], point[0]) if point else None


def parse(params, taxonomy: Taxonomy, territory_exists) -> EmbedOptions:
    """Options from a query-parameter multidict; ``territory_exists(level, code)`` checks presets."""
    territory = next(((k, params[k]) for k in TERRITORY_KEYS
                      if params.get(k) and territory_exists(k, params[k])), None)
    return EmbedOptions(
        activities=sorted(vocabulary.parse_slugs(taxonomy, params.getlist("activity"), "activity", lenient=True)),
        domains=sorted(vocabulary.parse_slugs(taxonomy, params.getlist("domain"), "domain", lenient=True)),
        locked=_flag(params, "lock", False),
        territory=territory,
        bbox=lenient(vocabulary.parse_bbox, params.get("bbox")),
        center=_center(params.get("center")),
        zoom=whole_number(params.get("zoom"), 1, 19),
        view=params.get("view") if params.get("view") in VIEWS else "map",
        legend=_flag(params, "legend", True),
        header=_flag(params, "header", False),
        contribute=_flag(params, "contrib", True),
        lang=params.get("lang") if params.get("lang") in LANGUAGES else "fr",
        q=vocabulary.parse_text(params.get("q"), clip=True),
        siae=_flag(params, "siae", False),
        ea=_flag(params, "ea", False),
        near=lenient(vocabulary.parse_point, params.get("near"), "near"),
    )


def embed_url(base_url: str, options: EmbedOptions) -> str:
    query = urlencode(options.query(), safe=",")  # commas stay readable in a partner's copy
    return f"{base_url.rstrip('/')}/embed" + (f"?{query}" if query else "")


def snippet_settings(params, lang: str = "fr") -> dict:
    """Title, height and resizer of the snippet (``title``, ``height``, ``resize``), leniently."""
    asked = whole_number(params.get("height"), 0, 10**9 - 1)
    height = DEFAULT_HEIGHT if asked is None else min(max(asked, HEIGHTS[0]), HEIGHTS[1])
    title = vocabulary.parse_text(params.get("title"), "title", clip=True)
    return {"title": title or TITLES.get(lang, TITLES["fr"]), "height": height,
            "resize_script": _flag(params, "resize", False)}


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
