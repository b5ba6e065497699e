"""The site form shared by contributors and moderators: form values ↔ validated ``SiteData``.

Form values are what a browser sends (text, repeated check boxes); errors are French and name the
field, so the form can show each one beside its input. The commune is typed as text (« Rennes »,
« Rennes (35238) », an INSEE code or a postcode) and resolved by the locator's one commune matcher.
"""
import math
import re
from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel import Session

from carto.directory import reserved_status
from carto.storage.models import LEGAL_FORM_LABELS, RESERVED_VERIFICATIONS, Commune
from carto.directory.site_schema import SiteData
from carto.territory import locator

TEXT_FIELDS = ("name", "description", "street", "postcode", "website", "email", "phone", "opening_hours",
               "siret", "legal_form")
FLAGS = ("siae", "ea_esat", "serves_individuals", "serves_professionals")
MAX_TEXT = 5000  # no form value is longer (the description's own limit); the rest is refused

LABELS = {
    "name": "Nom", "activities": "Activités", "description": "Description", "street": "Adresse",
    "postcode": "Code postal", "commune": "Commune", "commune_code": "Commune", "commune_name": "Commune",
    "position": "Position", "lon": "Longitude", "lat": "Latitude", "position_precision": "Précision de la position",
    "website": "Site web", "email": "E-mail public", "phone": "Téléphone", "opening_hours": "Horaires d'ouverture",
    "siret": "SIRET", "legal_form": "Forme juridique", "siae": "Structure d'insertion (SIAE)",
    "ea_esat": "Entreprise adaptée ou ESAT", "serves_individuals": "Accueille les particuliers",
    "serves_professionals": "Accueille les professionnels", "labels": "Réseaux et labels",
    "verified_at": "Vérifiée le", "status": "Statut", "siae_verification": "SIAE : vérification",
    "ea_esat_verification": "EA / ESAT : vérification", "epci_code": "EPCI", "pays_code": "Pays",
    "dep_code": "Département", "outside_territory": "Hors territoire", "is_demo": "Démonstration",
    "source": "Source", "source_key": "Clé source", "credit": "Crédit",
    # The contributor's part of the forms.
    "contributor_name": "Votre nom", "contributor_email": "Votre e-mail", "consent": "Accord",
    "comment": "Message", "reason": "Motif",
}


@dataclass(frozen=True)
class FieldError:
    field: str  # a form field name, or "" for the form as a whole
    message: str


class FormErrors(ValueError):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    def by_field(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in self.errors:
            out.setdefault(e.field, e.message)
        return out


def empty_values() -> dict:
    return {**{f: "" for f in TEXT_FIELDS}, "commune": "", "lon": "", "lat": "", "position_precision": "", "labels": "",
            "activities": [], "siae": False, "ea_esat": False, "serves_individuals": True,
            "serves_professionals": False}


def values_from_form(form) -> dict:
    """What the browser sent, kept as typed (to show the form again with its errors)."""
    values = {f: str(form.get(f) or "") for f in (*TEXT_FIELDS, "commune", "lon", "lat", "position_precision", "labels")}
    values["activities"] = [str(a) for a in form.getlist("activities")]
    values.update({f: bool(form.get(f)) for f in FLAGS})
    return values


def values_from_snapshot(snapshot: dict, commune_label: str) -> dict:
    """A stored site (history snapshot) as form values, to pre-fill a change form."""
    values = {f: "" if snapshot.get(f) is None else str(snapshot[f]) for f in TEXT_FIELDS}
    values.update(commune=commune_label, lon=_coord(snapshot.get("lon")), lat=_coord(snapshot.get("lat")),
                  position_precision=snapshot.get("position_precision") or "",
                  labels=", ".join(snapshot.get("labels") or []), activities=list(snapshot.get("activities") or []))
    values.update({f: bool(snapshot.get(f)) for f in FLAGS})
    return values


def rebase_values(typed: dict, base: dict, current: dict) -> tuple[dict, list[str]]:
    """Form values typed against ``base`` carried over to ``current`` (all three form values).

    A field left as it was takes the current value (someone else's change is not undone); a field
    typed keeps what was typed. Returns the values and the fields both changed differently.
    """
    values, both = {}, []
    for name, mine in typed.items():
        theirs, before = current.get(name), base.get(name)
        values[name] = theirs if mine == before else mine
        if mine != before and theirs != before and mine != theirs:
            both.append(name)
    # A position is one thing: typed point or commune against theirs.
    if {"lon", "lat", "commune"} & set(both):
        both = [n for n in both if n not in ("lon", "lat", "commune")] + ["position"]
    return values, both


def _coord(value) -> str:
    return "" if value is None else repr(float(value))


def commune_label(commune: Commune | None) -> str:
    return f"{commune.name} ({commune.code})" if commune else ""


def resolve_commune(communes: locator.Locator, text: str) -> str:
    """INSEE code of the commune ``text`` names — as the form's list labels it (« Rennes (35238) »), its
    code, its postcode or its name; raises FormErrors naming « commune »."""
    text = text.strip()
    code = re.search(r"\(([0-9AB]{5})\)\s*$", text)
    wanted = code.group(1) if code else text
    if communes.commune(wanted):
        return wanted
    if re.fullmatch(r"\d{5}", text):
        candidates = communes.matching_communes(postcode=text)
    else:
        candidates = communes.matching_communes(name=re.sub(r"\s*\([^)]*\)\s*$", "", text))
    if len(candidates) == 1:
        return candidates[0].code
    if len(candidates) > 1:
        choices = ", ".join(commune_label(c) for c in candidates[:8])
        raise FormErrors([FieldError("commune", f"plusieurs communes possibles : {choices}")])
    raise FormErrors([FieldError("commune", f"commune inconnue en Bretagne : « {text[:80]} »")])


def _float(values: dict, name: str, errors: list[FieldError]) -> float | None:
    raw = values[name].strip().replace(",", ".")
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        errors.append(FieldError("position", "coordonnées invalides : cliquez sur la carte pour placer le site"))
        return None
    return number


def site_data(session: Session, values: dict) -> SiteData:
    """Validate form values into ``SiteData``; raises FormErrors with every problem found."""
    errors = [FieldError(f, f"texte trop long ({MAX_TEXT} caractères au plus)")
              for f in (*TEXT_FIELDS, "commune", "labels") if len(values[f]) > MAX_TEXT]
    if errors:
        raise FormErrors(errors)
    lon, lat = _float(values, "lon", errors), _float(values, "lat", errors)
    commune_code = None
    if values["commune"].strip() and lon is None:
        try:
            commune_code = resolve_commune(locator.current(session), values["commune"])
        except FormErrors as e:
            errors.extend(e.errors)
    fields = {f: values[f] for f in TEXT_FIELDS} | {f: values[f] for f in FLAGS}
    # The point's precision: « street » when an address suggestion placed it at its street (BAN);
    # a point placed or moved by hand is an address's.
    if lon is not None and values.get("position_precision"):
        fields["position_precision"] = values["position_precision"]
    fields.update(lon=lon, lat=lat, commune_code=commune_code, activities=values["activities"],
                  labels=[label.strip() for label in values["labels"].split(",") if label.strip()])
    if lon is None and commune_code is None and not errors:
        errors.append(FieldError("position", "placez le site sur la carte ou indiquez sa commune"))
    try:
        data = SiteData.model_validate(fields)
    except ValidationError as e:
        errors.extend(french_errors(e))
        data = None
    if errors:
        raise FormErrors(errors)
    return data


def french_errors(error: ValidationError) -> list[FieldError]:
    return [FieldError(_field(e["loc"]), _message(e)) for e in error.errors()]


def _field(loc: tuple) -> str:
    if not loc:
        return "position"
    return {"lon": "position", "lat": "position", "commune_code": "commune"}.get(str(loc[0]), str(loc[0]))


def _message(e: dict) -> str:
    ctx = e.get("ctx") or {}
    kind, loc = e["type"], e["loc"]
    if kind == "value_error":
        return str(ctx.get("error", e["msg"]))
    if kind == "string_too_long":
        return f"{ctx['max_length']} caractères au plus"
    if kind == "string_too_short":
        return f"{ctx['min_length']} caractères au moins"
    if kind == "too_short":
        return "choisissez au moins une activité" if loc[:1] == ("activities",) else "valeur manquante"
    if kind == "too_long":
        return f"{ctx['max_length']} éléments au plus"
    if kind == "string_pattern_mismatch":
        return "code postal à 5 chiffres attendu" if loc[:1] == ("postcode",) else "format invalide"
    if kind == "enum":
        choices = ", ".join(LEGAL_FORM_LABELS[k] for k in LEGAL_FORM_LABELS) if loc[:1] == ("legal_form",) else ""
        return f"valeur non reconnue{' (' + choices + ')' if choices else ''}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return "valeur hors limites"
    if kind == "missing":
        return "champ obligatoire"
    return e["msg"]


_PROOF_OF = {column: flag for flag, column in RESERVED_VERIFICATIONS.items()}


def display(field: str, value, taxonomy, locator=None) -> str:
    """A stored value as a French reader sees it (plain text; templates escape it)."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if field in _PROOF_OF:
        return reserved_status.proof_text(_PROOF_OF[field], value)
    if field == "activities":
        return ", ".join(taxonomy.activities[a].label if a in taxonomy.activities else a for a in value)
    if field == "legal_form":
        return next((label for form, label in LEGAL_FORM_LABELS.items() if form.value == value), str(value))
    if field == "commune_code" and locator is not None:
        placement = locator.placement(value)
        return f"{placement.commune_name} ({value})" if placement else str(value)
    if field == "position_precision":
        return {"address": "adresse ou point sur la carte", "commune": "centre de la commune"}.get(value, value)
    if field in ("lon", "lat"):
        return f"{float(value):.5f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class DiffRow:
    field: str
    label: str
    old: str
    new: str


def diff_rows(changes: dict, taxonomy, locator=None) -> list[DiffRow]:
    """{field: [old, new]} as rows to show; longitude and latitude together as « Position »."""
    rows = []
    for field, (old, new) in changes.items():
        if field == "lat" and "lon" in changes:
            continue
        if field == "lon" and "lat" in changes:
            lat_old, lat_new = changes["lat"]
            rows.append(DiffRow("position", LABELS["position"], _point(lat_old, old), _point(lat_new, new)))
            continue
        rows.append(DiffRow(field, LABELS.get(field, field), display(field, old, taxonomy, locator),
                            display(field, new, taxonomy, locator)))
    return rows


def _point(lat, lon) -> str:
    return "—" if lat is None or lon is None else f"{float(lat):.5f}, {float(lon):.5f}"
