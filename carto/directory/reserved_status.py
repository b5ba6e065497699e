"""Reserved-contract statuses, declared or verified.

Public buyers may reserve contracts for SIAE (code de la commande publique, art. L2113-13) and for
entreprises adaptées and ESAT (art. L2113-12). A site's flag (``Site.siae``, ``Site.ea_esat``) is
what someone declared: anyone may tick it. It is *verified* only when its verification column
(``Site.siae_verification``…) holds a proof: the authority and the number of the document (SIAE:
conventionnement DREETS; EA: agrément or contrat d'objectifs, DREETS; ESAT: autorisation ARS,
FINESS number), the document's date, who verified it (a moderator, ``user:3``, or an import of a
register trusted for that status, ``import:siae-dreets``) and when. Only a moderator's explicit
act or such an import writes a proof (``carto.community.moderation.verify_reserved``,
``carto.importers.pipeline``); a status no longer declared loses its proof (``carto.directory.sites``).

This module is the vocabulary: validating a proof, and saying a status in French and as public fields.
"""
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum

from carto.directory.site_schema import check_no_control
from carto.storage.models import RESERVED_VERIFICATIONS


class State(str, Enum):
    declared = "declared"
    verified = "verified"


STATE_LABELS = {State.declared: "déclaré, non vérifié", State.verified: "vérifié"}


@dataclass(frozen=True)
class Kind:
    """What a verified status is exactly, and the document that proves it."""
    slug: str
    label: str  # shown to buyers: « SIAE », « EA », « ESAT »
    document: str  # the document a moderator checks, in French
    authority: str  # who issues it (a default for the form)
    number_label: str  # « n° », « FINESS n° »
    number_pattern: str | None = None  # a number's grammar when there is one
    number_hint: str = ""


KINDS = {
    "siae": Kind("siae", "SIAE", "conventionnement de la DREETS (ACI, AI, EI, ETTI, EITI)", "DREETS", "n°"),
    "ea": Kind("ea", "EA", "agrément ou contrat d'objectifs et de moyens (CPOM) avec la DREETS", "DREETS", "n°"),
    # FINESS: 9 characters, the département's code (2A/2B for Corsica) first.
    "esat": Kind("esat", "ESAT", "autorisation de l'ARS (numéro FINESS de l'établissement)", "ARS", "FINESS n°",
                 r"(\d{2}|2[AB])\d{7}", "9 caractères : le département puis 7 chiffres, par exemple 350012345"),
}


@dataclass(frozen=True)
class Status:
    """One reserved status of a site (a flag of ``Site``) and the kinds its proof may be of."""
    flag: str  # siae | ea_esat
    label: str  # « SIAE », « EA / ESAT »
    article: str
    kinds: tuple[str, ...]

    @property
    def column(self) -> str:
        return RESERVED_VERIFICATIONS[self.flag]


STATUSES = {
    "siae": Status("siae", "SIAE", "art. L2113-13", ("siae",)),
    "ea_esat": Status("ea_esat", "EA / ESAT", "art. L2113-12", ("ea", "esat")),
}
COLUMNS = tuple(s.column for s in STATUSES.values())
MAX_AUTHORITY, MAX_NUMBER = 120, 40
NUMBER_PATTERN = r"[0-9A-Za-z][0-9A-Za-z ./_-]*"
_NUMBER = re.compile(NUMBER_PATTERN)
OLDEST_DOCUMENT = date(1975, 1, 1)  # the loi d'orientation en faveur des personnes handicapées


class ProofError(ValueError):
    """A proof that cannot be recorded; ``field`` names the input at fault (French message)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def status_of(flag: str) -> Status:
    try:
        return STATUSES[flag]
    except KeyError:
        raise ProofError(f"statut inconnu : « {flag} » (valeurs : {', '.join(STATUSES)})", "status") from None


def proof(flag: str, *, kind: str | None, authority: str, number: str, document_date: date | str | None,
          verified_by: str, verified_at: date, number_required: bool = True,
          date_required: bool = True) -> dict:
    """A checked proof of status ``flag``, as stored. A moderator gives every part; a register's
    import may lack a number or a date (``number_required``, ``date_required``)."""
    status = status_of(flag)
    kind = (kind or "").strip().lower() or (status.kinds[0] if len(status.kinds) == 1 else "")
    if kind not in status.kinds:
        raise ProofError(f"type attendu pour {status.label} : " + " ou ".join(KINDS[k].label for k in status.kinds),
                         "kind")
    return {"kind": kind, "authority": _authority(authority),
            "number": _number(KINDS[kind], number, number_required),
            "document_date": _document_date(document_date, verified_at, date_required),
            "verified_by": verified_by, "verified_at": verified_at.isoformat()}


def _authority(text: str) -> str:
    text = " ".join(check_no_control(text or "").split())
    if not text:
        raise ProofError("source manquante : qui a délivré le document (par exemple DREETS Bretagne)", "authority")
    if len(text) > MAX_AUTHORITY:
        raise ProofError(f"source : {MAX_AUTHORITY} caractères au plus", "authority")
    return text


def _number(kind: Kind, text: str, required: bool) -> str | None:
    text = " ".join(check_no_control(text or "").split())
    if not text:
        if required:
            raise ProofError(f"numéro manquant ({kind.document})", "number")
        return None
    if len(text) > MAX_NUMBER or not _NUMBER.fullmatch(text):
        raise ProofError(f"numéro illisible : {MAX_NUMBER} caractères au plus, lettres, chiffres, espaces, "
                         "points, tirets et barres obliques", "number")
    if kind.number_pattern and not re.fullmatch(kind.number_pattern, text.replace(" ", "").upper()):
        raise ProofError(f"numéro FINESS invalide : {kind.number_hint}", "number")
    return text.replace(" ", "").upper() if kind.number_pattern else text


def _document_date(value: date | str | None, today: date, required: bool) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        french = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)  # as a French spreadsheet writes it
        try:
            value = (date(int(french[3]), int(french[2]), int(french[1])) if french
                     else date.fromisoformat(text) if text else None)
        except ValueError:
            raise ProofError("date du document illisible (attendue : AAAA-MM-JJ ou JJ/MM/AAAA)",
                             "document_date") from None
    if value is None:
        if required:
            raise ProofError("date du document manquante", "document_date")
        return None
    if not OLDEST_DOCUMENT <= value <= today:
        raise ProofError(f"date du document improbable : entre le {OLDEST_DOCUMENT:%d/%m/%Y} et aujourd'hui",
                         "document_date")
    return value.isoformat()


STAMP = ("verified_by", "verified_at")


def without_stamp(proof: dict | None) -> dict | None:
    """What a proof says, who recorded it and when aside."""
    return proof and {k: v for k, v in proof.items() if k not in STAMP}


def stamped(proof: dict | None, earlier: dict | None, *, verified_by: str, verified_at: date) -> dict | None:
    """A register's proof with who and when: those of ``earlier`` when it said the same (a register
    listing a site again confirms its proof, it does not make a new one)."""
    if not proof:
        return proof
    if earlier and without_stamp(earlier) == without_stamp(proof):
        return {**proof, **{k: earlier.get(k) for k in STAMP}}
    return {**proof, "verified_by": verified_by, "verified_at": verified_at.isoformat()}


def counts(before: Mapping | None, after: Mapping) -> dict[State, int]:
    """The statuses a write set, by state: newly declared, or newly verified (by another proof)."""
    found = {State.declared: 0, State.verified: 0}
    for flag, status in STATUSES.items():
        old = state(bool(before and before[flag]), before and before[status.column])
        new = state(after[flag], after[status.column])
        if new is State.verified and (old is not State.verified or without_stamp(before[status.column])
                                       != without_stamp(after[status.column])):
            found[new] += 1
        elif new is State.declared and old is None:
            found[new] += 1
    return found


# --- Saying it -------------------------------------------------------------------------------------

def state(declared: bool, verification: dict | None) -> State | None:
    if not declared:
        return None
    return State.verified if verification else State.declared


def label(flag: str, declared: bool, verification: dict | None) -> str | None:
    """« SIAE — vérifié (DREETS Bretagne, n° 35-2024-12, 12/03/2026) », « EA / ESAT — déclaré, non
    vérifié », or None when the status is not declared."""
    now = state(declared, verification)
    if now is None:
        return None
    if now is State.declared:
        return f"{STATUSES[flag].label} — {STATE_LABELS[now]}"
    kind = KINDS.get(verification.get("kind"), KINDS[STATUSES[flag].kinds[0]])
    details = [verification.get("authority") or ""]
    if verification.get("number"):
        details.append(f"{kind.number_label} {verification['number']}")
    when = verification.get("document_date") or verification.get("verified_at")
    if when:
        details.append(date.fromisoformat(when).strftime("%d/%m/%Y"))
    return f"{kind.label} — vérifié ({', '.join(d for d in details if d)})"


def proof_text(flag: str, proof: dict) -> str:
    """A proof as a moderator reads it in a site's history: what, and who recorded it when."""
    who = public_verifier(proof.get("verified_by"))
    by = "la modération" if who == "moderation" else f"l'import « {(who or '').removeprefix('import:')} »"
    when = proof.get("verified_at")
    return f"{label(flag, True, proof)}, enregistré par {by}" + (
        f" le {date.fromisoformat(when):%d/%m/%Y}" if when else "")


def dropped_by(site, changes: dict) -> list[str]:
    """The verified statuses a change of the site (``{field: [old, new]}``) would untick, worded: accepting
    it drops their proofs (``carto.directory.sites.drop_undeclared_proofs``)."""
    return [label(flag, True, getattr(site, s.column)) for flag, s in STATUSES.items()
            if getattr(site, s.column) and flag in changes and not changes[flag][1]]


def labels(site) -> list[str]:
    """The declared statuses of a site (a ``Site`` or a row with its attributes), worded."""
    return [text for flag, s in STATUSES.items()
            if (text := label(flag, getattr(site, flag), getattr(site, s.column)))]


def public_verifier(actor: str | None) -> str | None:
    """Who verified, as the public reads it: the moderation, or the import of a named register."""
    if not actor:
        return None
    return actor if actor.startswith("import:") else "moderation"


# The public name of each part of a status, after its flag (``siae_statut``…): the open-data vocabulary.
PUBLIC_PARTS = {"status": "statut", "kind": "type", "authority": "autorite", "number": "numero",
                "document_date": "date_document", "verified_at": "date_verification", "verified_by": "verifie_par"}
PUBLIC_NAMES = tuple(f"{flag}_{PUBLIC_PARTS[part]}" for flag, status in STATUSES.items() for part in PUBLIC_PARTS
                     if part != "kind" or len(status.kinds) > 1)


# The public fields of a status nobody declares: all empty (most sites; every write builds them).
_UNDECLARED = {flag: dict.fromkeys(name for name in PUBLIC_NAMES if name.startswith(f"{flag}_")) for flag in STATUSES}


def public_fields(values: Mapping) -> dict:
    """The public fields of a site's statuses, by public name, from its flags and verification columns (by name)."""
    out = {}
    for flag, status in STATUSES.items():
        if not values[flag]:
            out |= _UNDECLARED[flag]
            continue
        proof_ = values[status.column] or {}
        now = state(values[flag], values[status.column])
        parts = {"status": now.value if now else None,
                 **({"kind": proof_.get("kind")} if len(status.kinds) > 1 else {}),
                 **{part: proof_.get(part) for part in ("authority", "number", "document_date", "verified_at")},
                 "verified_by": public_verifier(proof_.get("verified_by"))}
        out |= {f"{flag}_{PUBLIC_PARTS[part]}": value for part, value in parts.items()}
    return out
