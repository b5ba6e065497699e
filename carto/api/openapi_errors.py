"""What the OpenAPI document says beyond FastAPI's own: the errors each operation may answer (in
the problem-details format of ``carto.api.problems``), and the formats of the parameters that are text to FastAPI but have a grammar (``bbox``, ``near``,
``radius_km``) or a closed list of values (activity and domain slugs of the running taxonomy, the
supplier search's choices).

Generated clients and checkers (``schemathesis --checks all``, ``tests/test_fuzz.py``)
then know that a 400 names a parameter, that moderation answers 401/403 without a session, and
which values are worth sending. Added once to the document FastAPI builds, for every route.
"""
from carto.core.taxonomy import Taxonomy
from carto.query import params, sourcing
from carto.storage.models import LegalForm

ERRORS = {
    "409": "Conflit : l'élément a changé depuis sa lecture, ou le nom désigne plusieurs territoires (listés)",
    "400": "Paramètre invalide (nommé dans detail)",
    "401": "Connexion requise (session de modération)",
    "403": "Hors du périmètre du compte, ou jeton CSRF manquant",
    "404": "Introuvable (identifiant, code de territoire ou de pôle inconnu)",
    "413": "Corps de requête trop volumineux",
    "422": "Requête mal formée",
    "429": "Trop de requêtes : réessayez plus tard",
    "503": "Service extérieur (adresses, entreprises) indisponible",
}
_LON = r"-?(180(\.0+)?|(1[0-7][0-9]|[0-9]{1,2})(\.[0-9]+)?)"
_LAT = r"-?(90(\.0+)?|[0-8]?[0-9](\.[0-9]+)?)"
# Text parameters with a grammar (empty means absent, unless the route requires the parameter).
# A radius given as a number keeps FastAPI's bounds.
FORMATS = {
    "bbox": (rf"{_LON},{_LAT},{_LON},{_LAT}", "ouest,sud,est,nord en WGS84 (ouest ≤ est, sud ≤ nord)",
             "-1.75,48.07,-1.60,48.15"),
    "near": (rf"{_LON},{_LAT}", "lon,lat en WGS84", "-1.6778,48.1173"),
    "radius_km": (r"(1000|[1-9][0-9]{0,2}([.,][0-9]+)?|0[.,][0-9]*[1-9][0-9]*)",
                  "Rayon en km : plus de 0, au plus 1000 (virgule ou point décimal)", "15"),
    "zone": (r"(commune|epci|pays|departement|pole):[A-Za-z0-9_-]{1,80}", "niveau:code", "epci:243500139"),
    "siret": (r"[0-9]{14}", "SIRET : 14 chiffres, le dernier étant la clé de Luhn", "73282932000074"),
}
# Parameters a route cannot do without, though the shared filter grammar makes them optional.
REQUIRED = {"/api/sites/clusters": {"bbox"}}


def _statuses(path: str, method: str, operation: dict) -> list[str]:
    statuses = ["400", "404", "422"]
    if {"territory", "around"} & {p.get("name") for p in operation.get("parameters", [])}:
        statuses.append("409")
    if path.startswith("/api/moderation"):
        statuses += ["401", "403", "409"]
    if method in ("post", "put", "patch", "delete"):
        statuses += ["403", "413"]
    if path.startswith("/api/geocode") or "registers" in operation.get("tags", []):
        statuses.append("503")
    return sorted(set(statuses))


def _error_response(status: str) -> dict:
    return {"description": ERRORS[status]}  # its content: carto.api.problems.document


def _is_number(parameter: dict) -> bool:
    schema = parameter.get("schema", {})
    return "number" in (schema.get("type"), *(s.get("type") for s in schema.get("anyOf", [])))


def _max_length(schema: dict) -> int | None:
    limits = [s["maxLength"] for s in (schema, *schema.get("anyOf", [])) if "maxLength" in s]
    return min(limits, default=None)


def _choices(parameter: dict, values: list[str]) -> None:
    """A closed vocabulary; the empty value, taken as absent, is one of its values."""
    schema = parameter.setdefault("schema", {})
    target = schema.get("items", schema) if schema.get("type") == "array" else schema
    longest = _max_length(target) or len(max(values, key=len))
    target.clear()
    target.update({"type": "string", "enum": ["", *(v for v in values if len(v) <= longest)]})


def vocabularies(taxonomy: Taxonomy) -> dict[str, list[str]]:
    """Parameters whose values are a closed list, by name: the taxonomy's slugs, the supplier
    search's choices (the lists ``carto.query.sourcing`` checks against)."""
    yes_no = sorted(params.TRUE | params.FALSE)
    return {"activity": sorted(taxonomy.activities), "domain": sorted(d.slug for d in taxonomy.domains),
            "ess": sorted(params.TRUE | params.FALSE | params.ALL), "siae": yes_no, "ea": yes_no,
            "reserved_verified": yes_no,
            "legal_form": [f.value for f in LegalForm],
            "reserved": sorted(sourcing.RESERVED), "public": sorted(sourcing.PUBLICS),
            "sort": [*sourcing.SORTS, *(f"-{key}" for key in sourcing.SORTS)]}


def document(document_: dict, taxonomy: Taxonomy) -> dict:
    """Adds the error responses (their statuses; ``carto.api.problems`` gives their content) and the
    parameter formats to FastAPI's ``document_`` (in place)."""
    choices = vocabularies(taxonomy)
    for path, operations in document_.get("paths", {}).items():
        for method, operation in operations.items():
            for status in _statuses(path, method, operation):
                operation.setdefault("responses", {}).setdefault(status, _error_response(status))
            for parameter in operation.get("parameters", []):
                name = parameter.get("name")
                if name in REQUIRED.get(path, ()):
                    parameter["required"] = True
                original = parameter.get("schema", {})
                if name in FORMATS and not _is_number(parameter):
                    grammar, description, example = FORMATS[name]
                    pattern = f"^{grammar}$" if parameter.get("required") else f"^({grammar})?$"
                    parameter["schema"] = {"type": "string", "pattern": pattern, "description": description,
                                           "example": example}
                    if (longest := _max_length(original)) is not None:
                        parameter["schema"]["maxLength"] = longest
                elif name in choices and parameter.get("schema", {}).get("type") != "boolean":
                    _choices(parameter, choices[name])
    return document_
