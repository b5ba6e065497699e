"""The two-level activity taxonomy (domains → activities), read from ``geodata/taxonomy.yaml``.

The taxonomy is data: adding an activity or opening a domain's moderation is an edit of the YAML
file, never of code.
"""
import os
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property, lru_cache
from pathlib import Path

import yaml


class UnknownActivity(ValueError):
    """An activity or domain slug that the taxonomy does not know."""


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be read as one (message in French, naming what is wrong)."""


@dataclass(frozen=True)
class Activity:
    slug: str
    label: str
    icon: str
    domain: str
    synonyms: tuple[str, ...] = ()  # words people type for it, searched like its label


@dataclass(frozen=True)
class Domain:
    slug: str
    label: str
    color: str
    marker_color: str
    icon: str
    moderation_opened: date | None
    activities: tuple[Activity, ...] = field(default=())

    def is_open(self, on: date | None = None) -> bool:
        """Whether contributions to this domain are accepted (moderation opened)."""
        return self.moderation_opened is not None and self.moderation_opened <= (on or date.today())


@dataclass(frozen=True)
class Taxonomy:
    domains: tuple[Domain, ...]

    @cached_property  # read for every activity validated (imports validate hundreds of thousands)
    def activities(self) -> dict[str, Activity]:
        return {a.slug: a for d in self.domains for a in d.activities}

    def domain(self, slug: str) -> Domain:
        for d in self.domains:
            if d.slug == slug:
                return d
        raise UnknownActivity(f"domaine inconnu : « {slug} »")

    def activity(self, slug: str) -> Activity:
        try:
            return self.activities[slug]
        except KeyError:
            raise UnknownActivity(f"activité inconnue : « {slug} »") from None

    def domain_of(self, activity_slug: str) -> Domain:
        return self.domain(self.activity(activity_slug).domain)

    def expand(self, activities=(), domains=()) -> set[str]:
        """Activity slugs selected by explicit activities and/or whole domains (validated)."""
        selected = {self.activity(a).slug for a in activities}
        for d in domains:
            selected.update(a.slug for a in self.domain(d).activities)
        return selected

    def as_dict(self) -> list[dict]:
        return [
            {
                "slug": d.slug, "label": d.label, "color": d.color, "icon": d.icon,
                "moderation_opened": d.moderation_opened.isoformat() if d.moderation_opened else None,
                "activities": [{"slug": a.slug, "label": a.label, "icon": a.icon} for a in d.activities],
            }
            for d in self.domains
        ]


def parse(raw: dict) -> Taxonomy:
    domains = []
    seen: set[str] = set()
    for d in raw["domains"]:
        acts = tuple(Activity(a["slug"], a["label"], a.get("icon", d["icon"]), d["slug"], tuple(a.get("synonyms", ())))
                     for a in d["activities"])
        for slug in [d["slug"], *(a.slug for a in acts)]:
            if slug in seen:
                raise ValueError(f"identifiant « {slug} » défini deux fois")
            seen.add(slug)
        domains.append(Domain(d["slug"], d["label"], d["color"], d.get("marker_color", "gray"), d["icon"],
                              d.get("moderation_opened"), acts))
    return Taxonomy(tuple(domains))


def load(path: Path | None = None) -> Taxonomy:
    """The taxonomy as its file says now: parsed again only once the file changed (its modification
    time or size), so an edited file is seen without a restart. A running service switches to it
    when the data version moves (``carto taxonomy load``, see ``carto.directory.service``)."""
    path = path or _default_path()
    stat = os.stat(path)  # not ``Path.stat``: validation asks for every row of an import, and pathlib's
    return _parsed(path, stat.st_mtime_ns, stat.st_size)  # conversions cost 4 times the system call


@cache
def _default_path() -> Path:
    from carto.core.settings import PROJECT_GEODATA
    return PROJECT_GEODATA / "taxonomy.yaml"


@lru_cache(maxsize=4)
def _parsed(path: Path, _mtime_ns: int, _size: int) -> Taxonomy:
    with open(path, encoding="utf-8") as f:
        try:
            return parse(yaml.safe_load(f))
        except yaml.YAMLError as e:
            raise TaxonomyError(f"{path} : YAML illisible ({e})") from None
        except (KeyError, TypeError) as e:
            raise TaxonomyError(f"{path} : champ manquant ou mal formé ({e})") from None
        except ValueError as e:
            raise TaxonomyError(f"{path} : {e}") from None
