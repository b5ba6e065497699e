"""Public query parameters → domain objects, free of any web framework: the one parser of the
public vocabulary.

``FILTERS`` is the table of the site filters: the JSON API's parameters (``carto.api.deps``), the
OGC queryables (``carto.publish.ogc_collections``: named after the public property each tests),
the embed's preset filters (``carto.publish.embed``) and the links between public pages are all
derived from it. Each value
parser raises ``ParamError`` (a French message naming the parameter); the API is strict and
answers it, the embed is lenient (``lenient``: a bad value falls back to its default, because a
partner's page cannot show our errors).
"""
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from carto.query import territories
from carto.directory.service import Service
from carto.storage.models import Pole
from carto.query.search import SiteFilter
from carto.core.taxonomy import Taxonomy, UnknownActivity

TRUE, FALSE = {"true", "1", "oui", "yes", "on"}, {"false", "0", "non", "no", "off"}
MAX_RADIUS_KM = 1000
MAX_TEXT = 200  # characters of a text search
# Row ids and versions are INTEGER columns (32-bit on PostgreSQL): a larger number names no row, and
# must not reach the database driver, which fails on it (a 500 instead of "not found").
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Filter:
    """One public filter of sites and the doors it goes through."""
    name: str
    description: str  # French: API documentation and OGC queryables
    schema: dict = field(default_factory=lambda: {"type": "string"})  # JSON Schema of one value
    territory: bool = False  # its value is the code of a territory of its name's level, or a pôle
    # The public property it tests (``carto.directory.public_fields``), which names it as an OGC queryable.
    # The API and the embed keep the parameter's own name: partner sites' addresses hold it.
    property: str | None = None
    repeatable: bool = False
    queryable: bool = True  # an OGC queryable (OGC has its own ``bbox``; no distance sort there)
    embed: bool = True  # may preset an embedded map (its ``bbox`` is the first view instead)
    linked: bool = True  # kept by the links between public pages (``bbox`` and ``near`` are the view)


_BOOLEAN = {"type": "boolean"}
FILTERS = (
    Filter("activity", "Activité (slug de la taxonomie ; répétable, ou séparées par des virgules)", repeatable=True,
           property="activites"),
    Filter("domain", "Domaine (slug de la taxonomie ; répétable, ou séparés par des virgules)", repeatable=True,
           property="domaines"),
    Filter("q", f"Recherche plein texte dans le nom, la description et la commune (accents et casse ignorés, "
                f"{MAX_TEXT} caractères au plus)", {"type": "string", "maxLength": MAX_TEXT}),
    Filter("bbox", "Rectangle ouest,sud,est,nord (WGS84)", queryable=False, embed=False, linked=False),
    Filter("commune", "Code INSEE de la commune (404 s'il est inconnu)", territory=True, embed=False,
           property="code_commune"),
    Filter("epci", "SIREN de l'EPCI (404 s'il est inconnu)", territory=True, property="code_epci"),
    Filter("pays", "Code du pays (404 s'il est inconnu)", territory=True, property="code_pays"),
    Filter("departement", "Code du département (404 s'il est inconnu)", territory=True,
           property="code_departement"),
    Filter("pole", "Identifiant du pôle ESS (404 s'il est inconnu)", territory=True),
    Filter("near", "Point lon,lat (WGS84) : tri par distance", queryable=False, linked=False),
    Filter("radius_km", f"Rayon en km autour de near (plus de 0, au plus {MAX_RADIUS_KM})",
           {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RADIUS_KM}, queryable=False, embed=False),
    Filter("siae", "Structures d'insertion par l'activité économique (SIAE) : true ou false", _BOOLEAN,
           property="siae"),
    Filter("ea", "Entreprises adaptées ou ESAT : true ou false", _BOOLEAN, property="ea_esat"),
    Filter("reserved_verified", "Marchés réservés : statuts vérifiés seulement (true). Avec siae ou ea, ces statuts "
                                "vérifiés (sur pièce par la modération, ou d'après un registre faisant foi) ; seul, "
                                "au moins un statut SIAE ou EA/ESAT vérifié. Un statut seulement déclaré n'en est "
                                "jamais", _BOOLEAN, embed=False),
    Filter("ess", "Structures de l'économie sociale et solidaire : true (les seules montrées par défaut sur la "
                  "carte), false (les autres : artisans, commerces, collectivités…) ou all (toutes ; "
                  "par défaut dans l'API)", {"type": "string", "enum": ["true", "false", "all"]}, embed=False,
           property="ess"),
)
ALL = {"all", "tous", "toutes"}  # ess=all: ESS structures and the others
FILTER_NAMES = tuple(f.name for f in FILTERS)
FILTER_DESCRIPTIONS = {f.name: f.description for f in FILTERS}
# The territory filters, each named after its level of ``carto.query.territories`` (pôles apart:
# rows of their own).
TERRITORY_FILTERS = tuple(f.name for f in FILTERS if f.territory and f.name != "pole")
EMBED_FILTERS = tuple(f.name for f in FILTERS if f.embed)
LINKED_FILTERS = tuple(f.name for f in FILTERS if f.linked)


class ParamError(ValueError):
    """A query parameter with a value we cannot use; ``status`` is 400, or 404 for an unknown key;
    ``choices``: candidates for a name that fits several (e.g. the supplier search's places)."""

    def __init__(self, param: str, message: str, status: int = 400, choices: list | None = None):
        super().__init__(message)
        self.param = param
        self.status = status
        self.choices = choices or []


def whole_number(raw: str | None, lowest: int, highest: int) -> int | None:
    """A number of plain ASCII digits between ``lowest`` and ``highest``, else None (« ² » is a
    digit to ``str.isdigit`` but not to ``int``; a thousand digits are not worth converting)."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(highest))):
        return None
    return int(raw) if lowest <= int(raw) <= highest else None


def parse_id(text: str | None) -> int | None:
    """A row id (or version) written in a URL or a form, or None when it cannot name a row."""
    return whole_number(text, 0, MAX_ID)


def repeated(raw: Iterable[str] | str | None) -> list[str]:
    """A parameter given once (text) or repeated (list), blanks left out: for values that may hold
    a comma (a network's name)."""
    items = [raw] if isinstance(raw, str) else raw or ()
    return [v.strip() for v in items if v.strip()]


def split_values(raw: Iterable[str] | str | None) -> list[str]:
    """Repeated and/or comma-separated values: ``a=x&a=y,z`` → ``[x, y, z]`` (codes and slugs)."""
    return [v.strip() for item in repeated(raw) for v in item.split(",") if v.strip()]


def parse_floats(param: str, raw: str, counts: tuple[int, ...]) -> list[float]:
    expected = " ou ".join(str(c) for c in counts)
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise ParamError(param, f"{expected} nombres séparés par des virgules attendus") from None
    if len(values) not in counts or not all(math.isfinite(v) for v in values):
        raise ParamError(param, f"{expected} nombres séparés par des virgules attendus")
    return values


def parse_bbox(raw: str | None, param: str = "bbox", allow_3d: bool = False) -> tuple[float, ...] | None:
    """``ouest,sud,est,nord`` in WGS84 (OGC also allows six numbers, heights being ignored here)."""
    if not raw:
        return None
    values = parse_floats(param, raw, (4, 6) if allow_3d else (4,))
    west, south, east, north = values if len(values) == 4 else (values[0], values[1], values[3], values[4])
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise ParamError(param, "coordonnées hors limites (longitude ±180, latitude ±90)")
    if west > east or south > north:
        raise ParamError(param, "ordre attendu : ouest,sud,est,nord (ouest ≤ est, sud ≤ nord)")
    return west, south, east, north


def parse_point(raw: str | None, param: str) -> tuple[float, float] | None:
    """``lon,lat`` in WGS84."""
    if not raw:
        return None
    lon, lat = parse_floats(param, raw, (2,))
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ParamError(param, "point hors limites : longitude entre -180 et 180, latitude entre -90 et 90")
    return lon, lat


def parse_bool(raw: str | None, param: str) -> bool | None:
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value in TRUE | FALSE:
        return value in TRUE
    raise ParamError(param, "valeur attendue : true ou false")


def parse_ess(raw: str | None, param: str = "ess") -> bool | None:
    """``ess``: true, false, or all (None: no filter)."""
    if raw is not None and raw.strip().lower() in ALL:
        return None
    try:
        return parse_bool(raw, param)
    except ParamError:
        raise ParamError(param, "valeur attendue : true, false ou all") from None


def parse_int(raw: str | None, param: str, default: int, minimum: int, maximum: int | None = None) -> int:
    """An integer ≥ ``minimum``; above ``maximum`` it is lowered to it (OGC: the server may return less)."""
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\s*[+-]?\d{1,12}\s*", raw):
        raise ParamError(param, "nombre entier attendu")
    value = int(raw)
    if value < minimum:
        raise ParamError(param, f"nombre entier ≥ {minimum} attendu")
    return min(value, maximum) if maximum is not None else value


def parse_radius(raw: str | float | None, param: str = "radius_km") -> float | None:
    """A radius in km, above 0 and at most ``MAX_RADIUS_KM`` (« 2,5 » as well as « 2.5 »)."""
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        raise ParamError(param, "un nombre est attendu") from None
    if not (0 < value <= MAX_RADIUS_KM):
        raise ParamError(param, f"rayon attendu entre 0 (exclu) et {MAX_RADIUS_KM} km")
    return value


def parse_text(raw: str | None, param: str = "q", *, clip: bool = False) -> str | None:
    """Words to search for, spaces collapsed; at most ``MAX_TEXT`` characters, or cut there (``clip``)."""
    printable = "".join(c for c in (raw or "") if c.isprintable() or c.isspace())
    text = " ".join(printable.split())
    if len(text) > MAX_TEXT and not clip:
        raise ParamError(param, f"{MAX_TEXT} caractères au plus")
    return text[:MAX_TEXT] or None


def parse_slugs(taxonomy: Taxonomy, raw, param: str, *, lenient: bool = False) -> list[str]:
    """Activity (``param`` activity) or domain slugs, repeated or comma-separated, in the order
    given; an unknown one is an error, or left out when ``lenient``."""
    find = taxonomy.activity if param == "activity" else taxonomy.domain
    known = []
    for slug in dict.fromkeys(split_values(raw)):
        try:
            known.append(find(slug).slug)
        except UnknownActivity as e:
            if not lenient:
                raise ParamError(param, str(e)) from None
    return known


def territory_exists(service: Service, session: Session, name: str, code: str) -> bool:
    """Whether the territory filter ``name`` (commune, epci, pays, departement, pole) knows ``code``."""
    if name == "pole":
        return session.get(Pole, code) is not None
    return territories.exists(service, name, code)


def parse_territory(service: Service, session: Session, raw: str | None, param: str) -> str | None:
    """A territory code that exists: a mistyped code must not pass for « no site here » (404)."""
    code = (raw or "").strip()
    if not code:
        return None
    if not territory_exists(service, session, param, code):
        message = (f"pôle inconnu : « {code} »" if param == "pole"
                   else territories.unknown(param, code))
        raise ParamError(param, message, 404)
    return code


def lenient(parse: Callable, *args, default=None, **kwargs):
    """``parse(*args, **kwargs)``, or ``default`` when the value is bad (the embed's reading)."""
    try:
        return parse(*args, **kwargs)
    except ParamError:
        return default


def last(values: Sequence[str] | str | None) -> str | None:
    """A single-valued parameter given several times counts once, by its last value."""
    if values is None or isinstance(values, str):
        return values
    return values[-1] if values else None


def site_filter(service: Service, session: Session, values: Mapping[str, Sequence[str] | str | None], *,
                allow_3d_bbox: bool = False) -> SiteFilter:
    """The public filter of sites from query values by name (``FILTERS``), strictly: unknown
    activities are a 400, unknown territories and pôles a 404."""
    one = {f.name: last(values.get(f.name)) for f in FILTERS if not f.repeatable}
    selected = service.taxonomy.expand(parse_slugs(service.taxonomy, values.get("activity"), "activity"),
                                       parse_slugs(service.taxonomy, values.get("domain"), "domain"))
    codes = {name: parse_territory(service, session, one[name], name) for name in (*TERRITORY_FILTERS, "pole")}
    point = parse_point(one["near"], "near")
    radius = parse_radius(one["radius_km"])
    if radius and not point:
        raise ParamError("radius_km", "radius_km demande aussi near=lon,lat")
    return SiteFilter(activities=selected, q=parse_text(one["q"]),
                      bbox=parse_bbox(one["bbox"], allow_3d=allow_3d_bbox), near=point, radius_km=radius,
                      siae=parse_bool(one["siae"], "siae"), ea_esat=parse_bool(one["ea"], "ea"),
                      reserved_verified=parse_bool(one["reserved_verified"], "reserved_verified"),
                      ess=parse_ess(one["ess"]), **codes)
