"""Which incoming values a re-import may write over a stored site, and which go to moderators.

Three versions of each imported field meet: ``current`` (the site now), ``baseline`` (what the
source said last time: see ``ImportState``) and ``incoming`` (what it says now). A field whose
current value differs from the baseline was corrected by hand since: the import keeps it, and if
the source now says something else again, records a conflict for the moderation queue.
"""
from dataclasses import dataclass, field

from carto.storage.models import RESERVED_VERIFICATIONS

# Fields an import writes, grouped as a moderator sees them (a position is one thing).
IMPORTED = ("name", "description", "street", "postcode", "website", "email", "phone", "opening_hours", "siret",
            "legal_form", "siae", "ea_esat", "serves_individuals", "serves_professionals", "labels", "verified_at",
            "activities")
# A reserved status goes with its proof of verification: a moderator's verification is a correction
# that a source saying otherwise does not undo (it becomes a conflict).
GROUPS: dict[str, tuple[str, ...]] = {"position": ("lon", "lat", "position_precision"), **{f: (f,) for f in IMPORTED},
                                      **{flag: (flag, proof) for flag, proof in RESERVED_VERIFICATIONS.items()}}
# The source's own statements about a site, which no form edits: always written.
SOURCE_OWNED = ("ess", "credit")
# Columns that follow the position (computed from the point when it is written).
TERRITORY = ("commune_code", "commune_name", "epci_code", "pays_code", "dep_code", "outside_territory")


@dataclass
class Decision:
    apply: list[str] = field(default_factory=list)  # snapshot keys taking the incoming value
    conflicts: list[tuple[str, object, object]] = field(default_factory=list)  # (group, current, incoming)
    overrides: dict = field(default_factory=dict)  # snapshot key → source value kept aside


def decide(current: dict, baseline: dict, incoming: dict) -> Decision:
    """Snapshots (``carto.directory.sites.snapshot_of``) in, what to write and what to ask out."""
    decision = Decision(apply=list(SOURCE_OWNED))
    for group, keys in GROUPS.items():
        now, before, new = (tuple(snap.get(k) for k in keys) for snap in (current, baseline, incoming))
        if now == before or now == new:  # not corrected by hand, or the source agrees with the correction
            decision.apply.extend(keys)
            continue
        decision.overrides.update(zip(keys, new))
        if new != before:  # the source changed a field a moderator had corrected: ask
            decision.conflicts.append((group, _value(keys, now), _value(keys, new)))
    return decision


def baseline(current: dict, stored: dict | None, overrides: dict | None) -> dict:
    """What the source said last time: the snapshot it left (``stored``; None: the site has not
    changed since), with the values it sent that were kept aside."""
    return {**(stored if stored is not None else current), **(overrides or {})}


def _value(keys: tuple[str, ...], values: tuple):
    return values[0] if len(keys) == 1 else dict(zip(keys, values))
