"""Validation of mapped records with ``SiteData``, in French, lenient where a source is sloppy.

A bad secondary field (web address, phone, opening hours…) is dropped with a warning and the row
is imported; a bad essential one (name, SIRET, position) skips the row with the reason.
"""
import hashlib
import json
from dataclasses import dataclass

from pydantic import ValidationError

from carto.importers.records import Record, Skip
from carto.directory.site_schema import SiteData

LABELS = {
    "name": "nom", "activities": "activités", "description": "description", "street": "adresse",
    "postcode": "code postal", "commune_code": "code commune", "lon": "longitude", "lat": "latitude",
    "website": "site web", "email": "e-mail", "phone": "téléphone", "opening_hours": "horaires",
    "siret": "SIRET", "legal_form": "forme juridique", "labels": "labels", "verified_at": "date de vérification",
}
# Dropped with a warning when invalid: the site is still worth having without them.
SOFT = {"description", "street", "postcode", "website", "email", "phone", "opening_hours", "legal_form",
        "labels", "verified_at"}
# Cut to the maximum length rather than refused.
TRUNCATED = {"name", "description", "street"}


@dataclass(slots=True)
class Checked:
    """A record, the digest of what it says and, when read ahead, its validation (``validate``)."""
    record: Record
    digest: str
    result: "tuple[dict, list[str]] | Skip | None" = None

    def __reduce__(self):  # pickled by its fields, as ``Record``
        return Checked, (self.record, self.digest, self.result)

    @property
    def key(self) -> str:
        return self.record.key

    @property
    def position(self) -> int:
        return self.record.position

    def validated(self) -> tuple[dict, list[str]] | Skip:
        return self.result if self.result is not None else validate(self.record)


def content_hash(record: Record) -> str:
    """A digest of what the source says of a row: equal digests, nothing to write."""
    payload = json.dumps([record.fields, record.extra], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def check(item: Record | Skip, *, ahead: bool = False) -> Checked | Skip:
    """Digest a record; ``ahead``: validate it now too (in the process reading ahead), and drop
    the raw fields the validated ones replace, so less crosses between processes."""
    if isinstance(item, Skip):
        return item
    checked = Checked(item, content_hash(item))
    if ahead and not item.unplaced:  # an address to geocode first, in the importing process
        checked.result = validate(item)
        if not isinstance(checked.result, Skip):
            item.fields = {}
    return checked


def validate(record: Record) -> tuple[dict, list[str]] | Skip:
    """The record's fields as validated ``SiteData`` values and its warnings, or why it is skipped."""
    fields, warnings = dict(record.fields), list(record.warnings)
    for _ in range(3):  # each pass fixes the soft errors it found; a hard one ends it
        try:
            return SiteData.model_validate(fields).model_dump(), warnings
        except ValidationError as e:
            for error in e.errors():
                name = error["loc"][0] if error["loc"] else None
                if error["type"] == "string_too_long" and name in TRUNCATED:
                    limit = error["ctx"]["max_length"]
                    fields[name] = fields[name][:limit]
                    warnings.append(f"champ « {LABELS[name]} » coupé à {limit} caractères")
                elif name in SOFT:
                    warnings.append(f"champ « {LABELS[name]} » ignoré : {_describe(error)}")
                    fields.pop(name, None)
                else:
                    return _skip(record, name, error)
    return _skip(record, None, {"type": "value_error", "msg": "données incohérentes", "input": None})


def _skip(record: Record, name: str | None, error: dict) -> Skip:
    if name == "siret":
        why = _message(error).removeprefix("SIRET invalide").strip(" ()")
        return Skip(record.position, "siret", f"« {error['input']} » ({why})", record.key)
    if name is None and "position manquante" in error["msg"]:
        return Skip(record.position, "position", "", record.key)
    reason = "activite" if name == "activities" else "invalide"
    return Skip(record.position, reason, _describe(error, LABELS.get(name, name)), record.key)


def _describe(error: dict, label: str | None = None) -> str:
    shown = error.get("input")
    value = f" « {shown} »" if isinstance(shown, (str, int, float)) and len(str(shown)) <= 80 else ""
    prefix = f"{label}{value} : " if label else ""
    return prefix + _message(error)


def _message(error: dict) -> str:
    ctx = error.get("ctx") or {}
    messages = {
        "string_too_short": f"au moins {ctx.get('min_length')} caractères",
        "string_too_long": f"au plus {ctx.get('max_length')} caractères",
        "string_pattern_mismatch": "format invalide",
        "too_short": "au moins un élément",
        "too_long": f"au plus {ctx.get('max_length')} éléments",
        "greater_than_equal": f"doit valoir au moins {ctx.get('ge')}",
        "less_than_equal": f"doit valoir au plus {ctx.get('le')}",
        "missing": "manquant",
        "string_type": "texte attendu",
        "float_parsing": "nombre attendu",
        "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
        "enum": "valeur inconnue",
    }
    return messages.get(error["type"], error["msg"].removeprefix("Value error, "))
