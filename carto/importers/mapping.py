"""Column / property mapping files for generic CSV, GeoJSON and GoGoCarto imports.

A mapping file (YAML) says where each of our fields is in the source and how its categories
become our activities::

    source: reemploi-materiaux          # default source name (--source overrides it)
    credit: "Réseau du réemploi des matériaux du bâtiment en Bretagne, 2025"
    licence: ODbL-1.0                   # of the source's data: etalab-2.0, ODbL-1.0, CC-BY-4.0… or
                                        # its address; a licence the file itself states wins
    key: id                             # column holding a stable identifier (re-imports update)
    status: published                   # or pending: every new site then waits for a moderator
    fields:                             # our field: source column (dotted path in JSON: address.postalCode)
      name: Nom
      description: [Présentation, Précisions]   # several columns are joined
      street: Adresse
      postcode: Code postal
      commune_code: Code INSEE          # used when there is no point: the commune's centre
      city: Ville                       # without a point: the address is geocoded (BAN), else the
                                        # commune of this postcode and town is used
      lon: Longitude                    # CSV only: GeoJSON takes the feature's geometry
      lat: Latitude
      website: Site web
      siret: SIRET
      siae: SIAE                        # yes/no columns: oui, 1, true, x… are true: declared statuses
      siae_number: N° conventionnement  # with `authoritative` only (also ea_esat_number, ea_esat_kind:
      siae_document_date: Date          # EA or ESAT, siae_document_date, ea_esat_document_date)
      labels: Réseaux                   # a list, split on `separator`
    constants:                          # values given to every row
      ess: true
      labels: ["Réseau du réemploi"]
    activities:
      from: Catégories                  # column(s) holding the source's categories
      separator: ";"
      values:                           # source category (case and accents ignored) → our activities
        Matériauthèque: [materiaux-batiment]
        Ressourcerie: [reemploi]
      default: []                       # activities every row gets
    csv: {delimiter: ";", encoding: utf-8}   # CSV only; the delimiter is guessed when absent
    authoritative:                      # this file is the register of these statuses (SIAE of the
      siae: DREETS Bretagne             # DREETS, ESAT of FINESS…): what it says is verified, by
                                        # this authority, with the number when it gives one

A row whose categories give no activity is skipped (« aucune activité correspondante »).
A status ticked by any other file is declared, never verified (``carto.directory.reserved_status``);
a proof a register gives that cannot be read is dropped with a warning, and the status stays declared.
"""
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import yaml

from carto.directory import reserved_status
from carto.importers import values
from carto.importers.records import ImportFileError, Record, Skip
from carto.storage.models import SiteStatus
from carto.core.taxonomy import Taxonomy, UnknownActivity
from carto.core.textnorm import fold

TEXT_FIELDS = {"name", "description", "street", "postcode", "commune_code", "website", "email", "phone",
               "opening_hours", "siret", "legal_form", "verified_at"}
FLAG_FIELDS = {"ess", "siae", "ea_esat", "serves_individuals", "serves_professionals"}
# The proof of a reserved status a register gives: status → {part of the proof: field of the mapping}.
PROOF_FIELDS = {flag: {part: f"{flag}_{part}" for part in ("number", "document_date", *(
    ("kind",) if len(status.kinds) > 1 else ()))} for flag, status in reserved_status.STATUSES.items()}
FIELDS = TEXT_FIELDS | FLAG_FIELDS | {"lon", "lat", "labels", "city"} | {
    name for parts in PROOF_FIELDS.values() for name in parts.values()}
KEYS = {"source", "credit", "licence", "key", "status", "fields", "constants", "activities", "csv", "separator",
        "authoritative"}
NOT_SITE_DATA = {"ess"}  # Site columns that SiteData does not carry: they go to Record.extra
CLEANERS = {  # text → field value; fields not listed are optional texts (None when empty)
    "name": str, "street": str,
    "siret": lambda t: values.digits(t, 14),
    "postcode": lambda t: values.digits(t, 5) or "",
    "website": values.website,
}


@dataclass
class FieldMapping:
    source: str | None = None
    credit: str | None = None
    licence: str | None = None
    key: str | None = None
    status: SiteStatus = SiteStatus.published
    fields: dict[str, list[str]] = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    categories_from: list[str] = field(default_factory=list)
    separator: str = ";"
    categories: dict[str, list[str]] = field(default_factory=dict)  # folded category → activities
    default_activities: list[str] = field(default_factory=list)
    csv: dict = field(default_factory=dict)
    authoritative: dict[str, str] = field(default_factory=dict)  # reserved status → authority it verifies for


def with_defaults(mapping: FieldMapping, key: str, categories_from: str, **paths: str | list[str]) -> FieldMapping:
    """The mapping completed with a format's usual layout for what it leaves out."""
    defaults = {name: [p] if isinstance(p, str) else list(p) for name, p in paths.items()}
    return replace(mapping, key=mapping.key or key, categories_from=mapping.categories_from or [categories_from],
                   fields=defaults | mapping.fields)


def load(path: Path | None, taxonomy: Taxonomy) -> FieldMapping:
    if path is None:
        return FieldMapping()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ImportFileError(f"fichier de correspondance illisible ({path}) : {e}") from None
    try:
        return parse(raw, taxonomy)
    except (UnknownActivity, ValueError, TypeError, AttributeError) as e:
        raise ImportFileError(f"fichier de correspondance {path} : {e}") from None


def parse(raw: dict, taxonomy: Taxonomy) -> FieldMapping:
    if not isinstance(raw, dict):
        raise ValueError("un dictionnaire YAML est attendu")
    _known(raw, KEYS, "clé inconnue")
    fields = {k: [v] if isinstance(v, str) else [str(x) for x in v] for k, v in (raw.get("fields") or {}).items()}
    constants = dict(raw.get("constants") or {})
    _known(fields, FIELDS, "champ inconnu")
    _known(constants, FIELDS, "constante inconnue")
    acts = raw.get("activities") or {}
    _known(acts, {"from", "separator", "values", "default"}, "clé inconnue sous activities")

    def slugs(items) -> list[str]:
        return sorted({taxonomy.activity(str(a)).slug for a in ([items] if isinstance(items, str) else items or [])})

    source_from = acts.get("from") or []
    authoritative = _authoritative(raw.get("authoritative") or {}, {**fields, **constants})
    return FieldMapping(authoritative=authoritative,
        source=raw.get("source"), credit=raw.get("credit"), licence=raw.get("licence"), key=raw.get("key"),
        status=SiteStatus(raw.get("status", "published")), fields=fields, constants=constants,
        categories_from=[source_from] if isinstance(source_from, str) else list(source_from),
        separator=str(acts.get("separator", raw.get("separator", ";"))),
        categories={fold(str(k)).strip(): slugs(v) for k, v in (acts.get("values") or {}).items()},
        default_activities=slugs(acts.get("default")), csv=dict(raw.get("csv") or {}))


def _authoritative(raw: dict, mapped: dict) -> dict[str, str]:
    """The statuses this file is a register of, and the authority named for each; a proof's fields
    only make sense for them."""
    if not isinstance(raw, dict):
        raise ValueError("authoritative : un dictionnaire statut: autorité est attendu (siae: DREETS Bretagne)")
    _known(raw, set(reserved_status.STATUSES), "statut inconnu sous authoritative")
    for flag, authority in raw.items():
        if not isinstance(authority, str) or not authority.strip():
            raise ValueError(f"authoritative : nommez l'autorité qui fait foi pour {flag} (par exemple DREETS Bretagne)")
    for flag, parts in PROOF_FIELDS.items():
        orphans = sorted(set(parts.values()) & set(mapped)) if flag not in raw else []
        if orphans:
            raise ValueError(f"{', '.join(orphans)} : seulement pour un registre qui fait foi (authoritative: "
                             f"{{{flag}: …}}) ; d'une autre source, un statut reste déclaré")
    return {flag: authority.strip() for flag, authority in raw.items()}


def _known(section: dict, allowed: set[str], problem: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ValueError(f"{problem} : {', '.join(unknown)} (possibles : {', '.join(sorted(allowed))})")


def get(obj: dict, path: str):
    """A column of a row, or a dotted path into nested JSON objects (``address.postalCode``)."""
    if path in obj:
        return obj[path]
    value = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def to_record(obj: dict, position: int, mapping: FieldMapping, point: tuple[float, float] | None = None,
              key: str | None = None) -> Record | Skip:
    """Map one source object (CSV row, GeoJSON properties, GoGoCarto element) to a record.

    ``point``: the (lon, lat) of a geometry, which wins over lon/lat columns; ``key``: an
    identifier found outside the properties (a GeoJSON feature's id) when the mapping names none.
    """
    key = values.text(get(obj, mapping.key)) if mapping.key else values.text(key)
    if not key:
        return Skip(position, "identifiant", f"colonne « {mapping.key} » vide" if mapping.key else "")
    categories = [c for path in mapping.categories_from for c in values.split(get(obj, path), mapping.separator)]
    activities = set(mapping.default_activities)
    for category in categories:
        activities.update(mapping.categories.get(fold(category), ()))
    if not activities:
        return Skip(position, "activite", ", ".join(categories) or "aucune catégorie", key)
    record = Record(position, key, {"activities": sorted(activities)}, extra={"status": mapping.status})
    if mapping.credit:
        record.extra["credit"] = mapping.credit
    for name, paths in mapping.fields.items():
        _set(record, name, [get(obj, p) for p in paths], mapping.separator)
    for name, value in mapping.constants.items():
        if name == "city":
            record.city = str(value)
            continue
        target = record.extra if name in NOT_SITE_DATA else record.fields
        target[name] = sorted(set(target.get(name) or []) | set(value)) if name == "labels" else value
    if point is not None:
        record.fields["lon"], record.fields["lat"] = point
    record.drop_half_point()
    _prove(record, mapping)
    return record


def _prove(record: Record, mapping: FieldMapping) -> None:
    """The proof of each status this register verifies, when the row declares it (its parts as the
    file gives them; who and when are stamped at writing, ``carto.importers.pipeline``)."""
    for flag, authority in mapping.authoritative.items():
        parts = {part: record.fields.pop(name, None) for part, name in PROOF_FIELDS[flag].items()}
        if not record.fields.get(flag):
            continue
        try:
            proof = reserved_status.proof(flag, authority=authority, verified_by="", verified_at=date.today(),
                                          number_required=False, date_required=False, **{
                                              "kind": None, "number": "", "document_date": None, **parts})
        except reserved_status.ProofError as e:
            record.warnings.append(f"{reserved_status.STATUSES[flag].label} importé comme déclaré, non vérifié : {e}")
            continue
        record.extra[reserved_status.STATUSES[flag].column] = reserved_status.without_stamp(proof)


def _set(record: Record, name: str, raw: list, separator: str) -> None:
    target = record.extra if name in NOT_SITE_DATA else record.fields
    if name == "city":
        record.city = values.join(*(values.text(v) for v in raw), sep=" ")
    elif name in FLAG_FIELDS:
        target[name] = any(values.truthy(v) for v in raw)
    elif name == "labels":
        target[name] = [lb for v in raw for lb in values.split(v, separator)]
    elif name in ("lon", "lat"):
        number = values.number(raw[0])
        if number is None and values.text(raw[0]):
            record.warnings.append(f"{name} illisible « {values.text(raw[0])} »")
        target[name] = number
    elif name == "description":
        target[name] = values.join(*(v if isinstance(v, str) else values.text(v) for v in raw))
    else:
        text = values.join(*(values.text(v) for v in raw), sep=" ")
        target[name] = CLEANERS.get(name, values.optional)(text)
