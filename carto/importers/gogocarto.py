"""Reader of a GoGoCarto export (``/api/elements.json``), e.g. to migrate from a Carteco instance.

The export is ``{"data": [element, …], "ontology": …}`` (or a bare list of elements); an element
has ``id``, ``name``, ``geo {latitude, longitude}``, ``address {streetAddress, postalCode,
addressLocality}``, ``categories`` (option names), ``description``, ``website``, ``telephone``,
``openHours {Mo: "09:00-12:00,14:00-18:00", …}`` and ``status``. Those are read by default; the
mapping file maps categories to our activities and may name other properties. The export's
``licence`` member (Carteco: ODbL) is the licence of every element (``file_licence``).
"""
import re
from collections.abc import Iterator
from typing import BinaryIO

import ijson

from carto.importers import mapping as mapping_file
from carto.importers.geojson import read_items
from carto.importers.records import Record, Skip
from carto.storage.models import SiteStatus

UNIT = "élément"
DEFAULT_PATHS = dict(name="name", description=["description", "descriptionMore"], street="address.streetAddress",
                     postcode="address.postalCode", city="address.addressLocality", website="website", phone="telephone", email="email",
                     lon="geo.longitude", lat="geo.latitude")
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
HIDDEN_EMAILS = {"private", "hidden"}  # GoGoCarto's placeholders for e-mails it keeps private
# GoGoCarto element statuses: below -1 the element is refused, deleted or a duplicate; 0 waits for
# moderation; -1 (published, a change pending) and above are published.
FIRST_PUBLISHED_STATUS = -1


def read(stream: BinaryIO, mapping: mapping_file.FieldMapping) -> Iterator[Record | Skip]:
    mapping = mapping_file.with_defaults(mapping, "id", "categories", **DEFAULT_PATHS)
    prefix = "data.item" if _first_char(stream) == "{" else "item"
    yield from read_items(stream, prefix, lambda element, n: _element(element, n, mapping))


def file_licence(stream: BinaryIO) -> str | None:
    """The export's top-level ``licence`` member, if any (the stream is left at its start)."""
    try:
        events = ijson.parse(stream)
        for prefix, event, value in events:
            if prefix == "licence" and event == "string":
                return str(value).strip() or None
        return None
    except ijson.JSONError:
        return None  # the reader says what is wrong with the file
    finally:
        stream.seek(0)


def _first_char(stream: BinaryIO) -> str:
    head = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    stream.seek(0)
    return head[:1].decode("ascii", "replace")


def _element(element: dict, number: int, mapping: mapping_file.FieldMapping) -> Record | Skip:
    status = element.get("status")
    if isinstance(status, (int, float)) and status < FIRST_PUBLISHED_STATUS:
        return Skip(number, "exclu", f"fiche refusée, supprimée ou en double dans GoGoCarto (statut {status})",
                    str(element.get("id") or "") or None)
    if str(element.get("email", "")).lower() in HIDDEN_EMAILS:
        element = {k: v for k, v in element.items() if k != "email"}
    record = mapping_file.to_record(element, number, mapping)
    if isinstance(record, Record):
        if status == 0:
            record.extra["status"] = SiteStatus.pending
        hours = opening_hours(element.get("openHours"))
        if hours and "opening_hours" not in mapping.fields:
            record.fields["opening_hours"] = hours
    return record


def opening_hours(days: dict | None) -> str | None:
    """GoGoCarto's per-day hours in OpenStreetMap syntax (validated later like any other field)."""
    if not isinstance(days, dict):
        return None
    rules = []
    for day in DAYS:
        spans = re.sub(r"\s*(?:&|et|,)\s*", ",", str(days.get(day) or "").strip())
        if spans:
            rules.append(f"{day} {spans}")
    return "; ".join(rules) or None
