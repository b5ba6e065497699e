"""Establishments from Sirene, through the French administration's recherche-entreprises API.

``GET /search?q=<SIRET>`` (no key; 7 requests a second at most, 429 beyond) answers
``{"results": [unité légale…]}``: each legal unit has ``nom_complet``, ``nature_juridique`` (the
INSEE catégorie juridique), ``complements.est_ess`` and ``matching_etablissements``, the
establishments matching the query, each with ``siret``, ``etat_administratif`` (A actif, F fermé),
``date_fermeture``, ``activite_principale`` (NAF), ``adresse``, ``code_postal``, ``libelle_commune``.

``CARTO_SIRENE=none``, or the API out of reach, raises ``SireneUnavailable`` (French message):
forms then keep only the SIRET's key check. What Sirene said is remembered per SIRET
(``SireneRecord``) for the moderators' pages and ``carto sites check-sirene``.
"""
from __future__ import annotations

import json
import threading
import time
from datetime import date
from functools import lru_cache
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import yaml
from sqlmodel import Session

from carto.core.settings import PROJECT_GEODATA, Settings
from carto.storage.models import LegalForm, SireneRecord, utcnow

RATE = 7  # requests a second, the API's published limit
ANNUAIRE = "https://annuaire-entreprises.data.gouv.fr/etablissement/"


class SireneUnavailable(Exception):
    """No answer from Sirene; the message is French."""


def annuaire_url(siret: str) -> str:
    """The establishment's page on the Annuaire des entreprises."""
    return ANNUAIRE + siret


class Api:
    def __init__(self, base_url: str, timeout: float, rate: float = RATE):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self._interval, self._lock, self._last = 1 / rate, threading.Lock(), 0.0

    def lookup(self, siret: str) -> SireneRecord:
        """What Sirene says of the establishment ``siret`` (``found`` False when it knows none)."""
        body = self._call(f"{self.base_url}/search?{urlencode({'q': siret, 'page': 1, 'per_page': 5})}")
        try:
            results = json.loads(body)["results"]
            for unit in results:
                for place in unit.get("matching_etablissements") or []:
                    if place.get("siret") == siret:
                        return _record(siret, unit, place)
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise SireneUnavailable(f"réponse illisible de Sirene ({e})") from None
        return SireneRecord(siret=siret, found=False, checked_at=utcnow())

    def _call(self, url: str) -> bytes:
        for attempt in range(3):
            self._wait_turn()
            try:
                with urlopen(Request(url, headers={"Accept": "application/json"}), timeout=self.timeout) as response:
                    return response.read()
            except HTTPError as e:
                if e.code == 429 and attempt < 2:  # over the rate: wait a second and try again
                    time.sleep(1)
                    continue
                raise SireneUnavailable(f"Sirene a répondu {e.code}") from None
            except (URLError, OSError, ValueError) as e:
                raise SireneUnavailable(f"Sirene injoignable ({getattr(e, 'reason', e)})") from None
        raise SireneUnavailable("Sirene refuse trop de demandes : réessayez plus tard")

    def _wait_turn(self) -> None:
        with self._lock:
            delay = self._last + self._interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._last = time.monotonic()


class Off:
    def lookup(self, siret: str) -> SireneRecord:
        raise SireneUnavailable("vérification Sirene désactivée (CARTO_SIRENE=none)")


def for_settings(settings: Settings) -> Api | Off:
    return Api(settings.sirene_url, settings.external_timeout) if settings.sirene == "api" else Off()


def remember(session: Session, record: SireneRecord) -> SireneRecord:
    """Keep what Sirene said (the newest answer replaces the older one)."""
    return session.merge(record)


def _record(siret: str, unit: dict, place: dict) -> SireneRecord:
    code = str(unit.get("nature_juridique") or "")
    closed = place.get("date_fermeture")
    return SireneRecord(
        siret=siret, checked_at=utcnow(), found=True,
        active={"A": True, "F": False}.get(place.get("etat_administratif")),
        closed_on=date.fromisoformat(closed) if closed else None,
        name=_name(unit, place), legal_form_code=code, legal_form_label=legal_form_label(code),
        naf=place.get("activite_principale") or unit.get("activite_principale") or "",
        ess=(unit.get("complements") or {}).get("est_ess"),
        street=_street(place), postcode=place.get("code_postal") or "", city=place.get("libelle_commune") or "")


def _name(unit: dict, place: dict) -> str:
    signs = place.get("liste_enseignes") or []
    return place.get("nom_commercial") or (signs[0] if signs else "") or unit.get("nom_complet") or ""


def _street(place: dict) -> str:
    """The street part of the establishment's address (« 12 RUE DE LA MOTTE 35700 RENNES » → « 12 RUE DE LA MOTTE »)."""
    address = place.get("adresse") or ""
    postcode = place.get("code_postal") or ""
    return address.split(f" {postcode}")[0].strip() if postcode and f" {postcode}" in address else address


@lru_cache(maxsize=1)
def _categories() -> dict:
    return yaml.safe_load((PROJECT_GEODATA / "categories_juridiques.yaml").read_text(encoding="utf-8"))


def legal_form_label(code: str) -> str:
    """The French label of an INSEE catégorie juridique (by its level II when unlisted)."""
    table = _categories()
    if code in table["codes"]:
        return table["codes"][code]["label"]
    return table["levels"].get(code[:2], f"catégorie juridique {code}" if code else "")


def legal_form(code: str) -> LegalForm | None:
    """The directory's legal form a catégorie juridique suggests (None when it says nothing)."""
    entry = _categories()["codes"].get(code)
    return LegalForm(entry["form"]) if entry else None


def line_for(session: Session, api: "Api | Off", siret: str | None) -> str | None:
    """The moderators' line for ``siret``: what Sirene said last, else asked now (and kept)."""
    if not siret:
        return None
    record = session.get(SireneRecord, siret)
    if record is None:
        try:
            record = remember(session, api.lookup(siret))
            session.commit()
        except SireneUnavailable as e:
            return f"Sirene : indisponible ({e})"
    return summary(record)


def summary(record: SireneRecord | None) -> str:
    """« Sirene : actif, ESS : oui, forme : Association déclarée » for the moderators."""
    if record is None:
        return "Sirene : pas encore vérifié"
    if not record.found:
        return "Sirene : SIRET inconnu"
    state = {True: "actif", False: "fermé", None: "état inconnu"}[record.active]
    if record.active is False and record.closed_on:
        state += f" le {record.closed_on.strftime('%d/%m/%Y')}"
    ess = {True: "oui", False: "non", None: "non renseigné"}[record.ess]
    return f"Sirene : {state}, ESS : {ess}, forme : {record.legal_form_label or 'inconnue'}"
