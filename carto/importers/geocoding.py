"""Rows that have an address but no point are placed by the BAN, a batch at a time.

The whole batch goes in one request to the BAN's CSV endpoint; each match keeps its score
(``Site.geocode_score``) and its precision (address, street, commune). A match below
``LOW_SCORE`` is not trusted: the row goes to its commune's centre when the postcode and town
name one, and the report says so with the BAN's guess. Without the service (offline,
``CARTO_GEOCODER=none``) the postcode and town give the commune's centre, as the forms do.
"""
from carto.importers.records import Record
from carto.storage.models import PositionPrecision
from carto.territory.geocoder import Address, GeocoderUnavailable, Query
from carto.territory.locator import Locator

LOW_SCORE = 0.5  # below, the BAN's best guess is more often another place than this one


def place(records: list[Record], geocoder, locator: Locator) -> None:
    """Give a position (or a commune) to the records that have only an address; warnings say how."""
    waiting = [r for r in records if r.unplaced]
    if not waiting:
        return
    queries = [Query(r.fields.get("street") or "", r.fields.get("postcode") or "", r.city) for r in waiting]
    try:
        matches = geocoder.batch(queries)
        offline = None
    except GeocoderUnavailable as e:
        matches, offline = [None] * len(waiting), str(e)
    for record, match in zip(waiting, matches):
        _place_one(record, match, offline, locator)


def _place_one(record: Record, match: Address | None, offline: str | None, locator: Locator) -> None:
    commune = locator.find_commune(record.fields.get("postcode") or "", record.city)
    if match is not None and match.score >= LOW_SCORE:
        if match.precision == PositionPrecision.commune:
            record.fields["commune_code"] = match.citycode
        else:
            record.fields.update(lon=match.lon, lat=match.lat, position_precision=match.precision)
        record.extra["geocode_score"] = round(match.score, 3)
        return
    if match is not None:
        guess = f"score faible ({match.score:.2f}) pour « {match.label} »"
        if commune is None:  # nothing better: the guess, flagged
            record.fields.update(lon=match.lon, lat=match.lat, position_precision=match.precision)
            record.extra["geocode_score"] = round(match.score, 3)
            record.warnings.append(f"adresse localisée avec un {guess} : à vérifier")
            return
        why = f"adresse non retenue, {guess}"
    else:
        why = f"géocodage impossible ({offline})" if offline else "adresse introuvable dans la BAN"
    if commune is not None:
        record.fields["commune_code"] = commune
        record.warnings.append(f"{why} : centre de la commune utilisé")
    else:
        record.warnings.append(why)
