"""The Font Awesome icons of the public pages, cut down to the glyphs they use.

Pages show the taxonomy's icons (data: a new activity may name any Font Awesome icon) and a few of
their own. Serving only those glyphs takes a ~6 KB font and a 2 KB stylesheet instead of Font
Awesome's 150 KB font and 100 KB stylesheet, which were most of the bytes of the first map load.
Built on first use from the vendored Font Awesome files (fonts: SIL OFL 1.1, which allows subsetting)
and kept in memory; the font's address carries its hash, so browsers may keep it for good.
"""
import hashlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache

from fontTools import subset
from fontTools.ttLib import TTFont

from carto.views.folium_assets import STATIC_DIR
from carto.core.taxonomy import Taxonomy

FONT_AWESOME = STATIC_DIR / "vendor" / "fontawesome-free"
FAMILY = "Carto Icons"
# Icons of the page templates and map.js (the taxonomy brings the others).
PAGE_ICONS = frozenset({"sliders", "location-crosshairs", "location-dot", "globe", "envelope", "phone",
                        "map-location-dot", "route", "door-open", "door-closed", "share-nodes", "star", "bars"})
_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:before,?)+)\{content:"\\([0-9a-f]+)"\}')
_NAME = re.compile(r"\.fa-([a-z0-9-]+):before")


@dataclass(frozen=True)
class IconSet:
    css: str
    font: bytes  # WOFF
    version: str  # hash of css and font, part of their addresses


@lru_cache(maxsize=1)
def codepoints() -> dict[str, int]:
    """Icon name → code point, read from Font Awesome's own stylesheet (aliases included)."""
    css = (FONT_AWESOME / "css" / "all.min.css").read_text(encoding="utf-8")
    return {name: int(code, 16) for selectors, code in _RULE.findall(css) for name in _NAME.findall(selectors)}


def names_of(taxonomy: Taxonomy) -> frozenset[str]:
    return PAGE_ICONS | {d.icon for d in taxonomy.domains} | {a.icon for a in taxonomy.activities.values()}


def unknown(taxonomy: Taxonomy) -> set[str]:
    """Icons the taxonomy names that Font Awesome (free, solid) does not have."""
    return set(names_of(taxonomy)) - codepoints().keys()


@lru_cache(maxsize=4)
def for_taxonomy(taxonomy: Taxonomy) -> IconSet:
    known = codepoints()
    names = sorted(n for n in names_of(taxonomy) if n in known)
    font = _subset_font({known[n] for n in names})
    version = hashlib.sha256(font + ",".join(names).encode()).hexdigest()[:12]
    css = "".join([
        f'@font-face{{font-family:"{FAMILY}";font-style:normal;font-weight:900;font-display:block;'
        f'src:url(/icones/{version}.woff) format("woff")}}',
        f'.fa-solid{{font-family:"{FAMILY}";font-weight:900;font-style:normal;font-variant:normal;'
        "display:inline-block;line-height:1;text-rendering:auto;-webkit-font-smoothing:antialiased}",
        *(f'.fa-{n}:before{{content:"\\{known[n]:x}"}}' for n in names),
    ])
    return IconSet(css, font, version)


def _subset_font(unicodes: set[int]) -> bytes:
    font = TTFont(FONT_AWESOME / "webfonts" / "fa-solid-900.ttf")
    subsetter = subset.Subsetter(subset.Options())
    subsetter.populate(unicodes=sorted(unicodes))
    subsetter.subset(font)
    font.flavor = "woff"  # zlib: no brotli dependency, and every browser reads it
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
