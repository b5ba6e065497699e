"""Reader of the ADEME « Longue vie aux objets » actors file (CSV), mapped by a YAML file.

The mapping (default ``geodata/import/lvao_mapping.yaml``, where the rules are documented) turns
services, actions with their object sub-categories and labels into our activities and the ESS
flag. The file is read row by row: a national file (~250,000 actors) is never held in memory.
"""
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import yaml

from carto.importers import values
from carto.importers.csv_generic import text_of
from carto.importers.records import ImportFileError, Record, Skip
from carto.core.settings import PROJECT_GEODATA
from carto.core.taxonomy import Taxonomy, UnknownActivity
from carto.core.textnorm import fold

DEFAULT_MAPPING = PROJECT_GEODATA / "import" / "lvao_mapping.yaml"
UNIT = "ligne"
ACTIONS = ("emprunter", "preter", "louer", "mettreenlocation", "reparer", "donner", "trier", "echanger",
           "revendre", "acheter")
REQUIRED_COLUMNS = ("identifiant", "paternite", "nom", "type_dacteur", "latitude", "longitude", "code_commune",
                    "type_de_services", "propositions_de_services")
csv.field_size_limit(16 * 1024 * 1024)  # descriptions and JSON cells can be long; rows stay bounded


@dataclass(frozen=True)
class Label:
    name: str
    activities: frozenset[str]
    ess: bool


@dataclass(frozen=True)
class LvaoMapping:
    source: str
    services: dict[str, frozenset[str]]
    actions: dict[str, frozenset[str]]
    sub_category_actions: frozenset[str]
    sub_categories: dict[str, frozenset[str]]
    labels: dict[str, Label]
    ess_types: frozenset[str]
    excluded_types: dict[str, str]
    public: dict[str, tuple[bool, bool]]  # folded public_accueilli → (individuals, professionals)
    licence: str | None = None  # of the ADEME's file (carto.core.licences)


def load_mapping(path: Path | None, taxonomy: Taxonomy) -> LvaoMapping:
    path = path or DEFAULT_MAPPING
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return _parse(raw, taxonomy)
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as e:
        raise ImportFileError(f"correspondance LVAO illisible ({path}) : {e}") from None
    except UnknownActivity as e:
        raise ImportFileError(f"correspondance LVAO ({path}) : {e}") from None


def _parse(raw: dict, taxonomy: Taxonomy) -> LvaoMapping:
    def slugs(items) -> frozenset[str]:
        return frozenset(taxonomy.activity(a).slug for a in items or ())

    def table(name: str) -> dict[str, frozenset[str]]:
        return {str(k): slugs(v) for k, v in (raw.get(name) or {}).items()}

    labels = {str(code): Label(str(spec.get("nom", code)), slugs(spec.get("activites")), bool(spec.get("ess")))
              for code, spec in (raw.get("labels") or {}).items()}
    public = {fold(k): (bool(v.get("particuliers")), bool(v.get("professionnels")))
              for k, v in (raw.get("public") or {}).items()}
    return LvaoMapping(
        source=str(raw.get("source", "lvao")), services=table("services"), actions=table("actions"),
        sub_category_actions=frozenset(raw.get("sous_categories_sous_actions") or ()),
        sub_categories=table("sous_categories"), labels=labels,
        ess_types=frozenset(raw.get("types_ess") or ()),
        excluded_types={str(k): str(v) for k, v in (raw.get("types_ecartes") or {}).items()}, public=public,
        licence=raw.get("licence"))


def read(stream: BinaryIO, mapping: LvaoMapping) -> Iterator[Record | Skip]:
    next_line = 1
    with text_of(stream, "utf-8-sig") as text:
        try:
            reader = csv.DictReader(text)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise ImportFileError("ce fichier n'a pas les colonnes d'un export LVAO : il manque "
                                      + ", ".join(missing))
            next_line = 2
            for row in reader:
                yield to_record(row, next_line, mapping)
                next_line = reader.line_num + 1
        except UnicodeDecodeError:
            raise ImportFileError(f"le fichier n'est pas du texte UTF-8 (ligne {next_line})") from None
        except csv.Error as e:
            raise ImportFileError(f"CSV illisible vers la ligne {next_line} : {e}") from None


def to_record(row: dict, line: int, mapping: LvaoMapping) -> Record | Skip:
    key = values.text(row.get("identifiant"))
    if not key:
        return Skip(line, "identifiant", "colonne identifiant vide")
    actor_type = values.text(row.get("type_dacteur"))
    if actor_type in mapping.excluded_types:
        return Skip(line, "exclu", f"{mapping.excluded_types[actor_type]} (type {actor_type})", key)
    try:
        actions = _actions(row)
    except ValueError as e:
        return Skip(line, "json", f"propositions_de_services : {e}", key)
    services = values.split(row.get("type_de_services"), "|")
    label_codes = values.split(row.get("qualites_et_labels"), "|")
    activities = _activities(mapping, services, actions, label_codes)
    if not activities:
        offered = ", ".join(services + [a for a, subs in actions.items() if subs]) or "aucun service"
        return Skip(line, "activite", offered, key)
    labels = [mapping.labels[c] for c in label_codes if c in mapping.labels]
    record = Record(line, key, _fields(row, mapping, activities, labels, label_codes),
                    extra={"ess": actor_type in mapping.ess_types or any(lb.ess for lb in labels),
                           "credit": values.optional(row.get("paternite"))})
    record.drop_half_point()
    return record


def _actions(row: dict) -> dict[str, list[str]]:
    """Action → object sub-categories, from the JSON column (the per-action columns are its copy,
    read only when the JSON is empty)."""
    raw = (row.get("propositions_de_services") or "").strip()
    if not raw:
        return {action: values.split(row.get(action), "|") for action in ACTIONS}
    try:
        proposals = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"erreur de syntaxe au caractère {e.pos + 1}") from None
    if not isinstance(proposals, list) or not all(isinstance(p, dict) for p in proposals):
        raise ValueError("une liste d'objets {action, sous_categories} est attendue")
    actions: dict[str, list[str]] = {}
    for proposal in proposals:
        subs = proposal.get("sous_categories")
        actions.setdefault(str(proposal.get("action")), []).extend(
            sub for sub in (subs if isinstance(subs, list) else ()) if isinstance(sub, str))
    return actions


def _activities(mapping: LvaoMapping, services: list[str], actions: dict[str, list[str]],
                label_codes: list[str]) -> set[str]:
    found: set[str] = set()
    for service in services:
        found |= mapping.services.get(service, frozenset())
    for action, subs in actions.items():
        if not subs:
            continue
        found |= mapping.actions.get(action, frozenset())
        if action in mapping.sub_category_actions:
            for sub in subs:
                found |= mapping.sub_categories.get(sub, frozenset())
    for code in label_codes:
        if code in mapping.labels:
            found |= mapping.labels[code].activities
    return found


def _fields(row: dict, mapping: LvaoMapping, activities: set[str], labels: list[Label],
            label_codes: list[str]) -> dict:
    get = row.get
    osm_hours = values.optional(get("horaires_osm"))
    public = mapping.public.get(_folded(values.text(get("public_accueilli"))))
    fields = dict(
        name=values.text(get("nom_commercial")) or values.text(get("nom")),
        activities=sorted(activities),
        description=_description(row, osm_hours),
        street=values.join(get("adresse"), get("complement_dadresse"), sep=", "),
        postcode=values.digits(get("code_postal"), 5) or "",
        commune_code=values.digits(get("code_commune"), 5),
        lon=values.number(get("longitude")), lat=values.number(get("latitude")),
        website=values.website(get("site_web")), phone=values.optional(get("telephone")),
        opening_hours=osm_hours, siret=values.digits(get("siret"), 14),
        labels=[lb.name for lb in labels] + [c for c in label_codes if c not in mapping.labels],
    )
    if public:
        fields["serves_individuals"], fields["serves_professionals"] = public
    return fields


@lru_cache(maxsize=256)
def _folded(value: str) -> str:
    """A column with a handful of distinct values: fold each once."""
    return fold(value)


def _description(row: dict, osm_hours: str | None) -> str:
    """The source's description, then what the other text columns tell a visitor."""
    hours, access = values.text(row.get("horaires_description")), values.text(row.get("consignes_dacces"))
    return values.join(
        row.get("description"),
        f"Horaires : {hours}" if hours and not osm_hours else None,  # plain hours when no OSM syntax
        f"Accès : {access}" if access else None,
        "Sur rendez-vous uniquement." if values.truthy(row.get("uniquement_sur_rdv")) else None)
