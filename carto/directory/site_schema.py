"""What a site may contain: validation of every field written, from any channel (API, forms, import).

Errors name the field and say why, in French, so they can be shown to a contributor as they are.
"""
import re
from datetime import date
from typing import Annotated
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from carto.storage.models import LegalForm, PositionPrecision
from carto.core.taxonomy import UnknownActivity, load as load_taxonomy

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
_PHONE = re.compile(r"^[+0-9 ().-]{4,30}$")
# C0 and C1 control characters, but tab and line breaks: never typed, they come from a file read in
# the wrong encoding (« Œ » of a cp1252 file read as latin-1 is U+008C) or from a forged request.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# La Poste's establishments share SIREN 356000000 and follow their own key (digit sum % 5).
LA_POSTE_SIREN = "356000000"


def check_no_control(value):
    """``value`` (a text or a list of texts) unchanged, or a French ValueError naming the character."""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str) and (found := _CONTROL.search(text)):
            raise ValueError(f"caractère de contrôle U+{ord(found.group()):04X} interdit (texte lu dans un autre "
                             "encodage que le sien ? Excel en français enregistre en cp1252)")
    return value


def luhn_ok(digits: str) -> bool:
    """Luhn's key: every second digit from the right doubled (its digits summed). Two sums over
    slices, as an import checks hundreds of thousands (a loop over the digits cost half as much again)."""
    return (sum(map(int, digits[::-2])) + sum(map(_LUHN_DOUBLED.__getitem__, map(int, digits[-2::-2])))) % 10 == 0


_LUHN_DOUBLED = tuple(2 * d - 9 if d > 4 else 2 * d for d in range(10))
_SIRET_SEPARATORS, _SIRET = re.compile(r"[\s.]"), re.compile(r"\d{14}")


def check_siret(value: str) -> str:
    siret = _SIRET_SEPARATORS.sub("", value)
    if not _SIRET.fullmatch(siret):
        raise ValueError("le SIRET doit compter 14 chiffres")
    la_poste = siret.startswith(LA_POSTE_SIREN) and sum(map(int, siret)) % 5 == 0
    if not (luhn_ok(siret) or la_poste):
        raise ValueError("SIRET invalide (clé de contrôle incorrecte)")
    return siret


def check_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("l'adresse web doit commencer par http:// ou https://")
    if any(c.isspace() for c in value) or "." not in (parsed.hostname or "").strip("."):
        raise ValueError("l'adresse web ne peut contenir d'espace et son nom de domaine s'écrit exemple.fr")
    return value


class SiteData(BaseModel):
    """Every writable field of a site. Used whole for creation and partially for updates."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    activities: list[str] = Field(min_length=1, max_length=20)
    description: str = Field(default="", max_length=5000)
    street: ShortText = ""
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{5})?$")] = ""
    commune_code: Annotated[str, StringConstraints(pattern=r"^[0-9AB]{5}$")] | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    position_precision: PositionPrecision | None = None
    website: Annotated[str, StringConstraints(max_length=500)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(max_length=30)] | None = None
    opening_hours: Annotated[str, StringConstraints(max_length=255)] | None = None
    siret: str | None = None
    legal_form: LegalForm | None = None
    siae: bool = False
    ea_esat: bool = False
    serves_individuals: bool = True
    serves_professionals: bool = False
    labels: list[Label] = Field(default_factory=list, max_length=20)
    verified_at: date | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value):
        return check_no_control(value)

    @field_validator("website", "email", "phone", "opening_hours", "siret", "legal_form",
                     "commune_code", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("activities")
    @classmethod
    def _known_activities(cls, value: list[str]) -> list[str]:
        taxonomy = load_taxonomy()
        try:
            return sorted({taxonomy.activity(a.strip()).slug for a in value})
        except UnknownActivity as e:
            raise ValueError(str(e)) from None

    @field_validator("website")
    @classmethod
    def _url(cls, value):
        return check_url(value) if value else value

    @field_validator("email")
    @classmethod
    def _email(cls, value):
        if value and not _EMAIL.match(value):
            raise ValueError("adresse e-mail invalide")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value):
        if value and not _PHONE.match(value):
            raise ValueError("numéro de téléphone invalide")
        return value

    @field_validator("siret")
    @classmethod
    def _siret(cls, value):
        return check_siret(value) if value else value

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value):
        if value:
            from carto.core import opening_hours
            return opening_hours.parse(value).text  # raises a French ValueError
        return value

    @model_validator(mode="after")
    def _position(self):
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon et lat vont ensemble : donnez les deux ou aucun")
        if self.lon is None and not self.commune_code:
            raise ValueError("position manquante : donnez lon/lat ou la commune (commune_code)")
        return self
