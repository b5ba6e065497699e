"""What a reader yields for each row of a file: a record to import, or a row skipped and why."""
from dataclasses import dataclass, field

# Why a row is skipped: a short code (grouping in reports, stored counts) and its French label.
REASONS = {
    "position": "ni position ni commune connue",
    "territoire": "hors du territoire",
    "siret": "SIRET invalide",
    "activite": "aucune activité correspondante",
    "json": "JSON mal formé",
    "invalide": "champ invalide",
    "identifiant": "identifiant manquant",
    "doublon": "identifiant en double dans le fichier",
    "exclu": "hors du champ de l'import",
}


class ImportFileError(ValueError):
    """The file or the mapping cannot be read at all (not one bad row): said in French."""


@dataclass(slots=True)
class Record:
    """A row read and mapped to our fields, not yet validated.

    ``fields`` is the input of ``SiteData`` (activities included); ``extra`` holds the other
    columns a source sets (ess, credit, status); ``warnings`` what was dropped and why.
    """
    position: int  # line number (CSV) or element number (JSON), as a person finds it in the file
    key: str
    fields: dict
    extra: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    city: str = ""  # the town as the source names it: only to place a row that has no point

    def __reduce__(self):
        # Read ahead, records cross to the importing process pickled: by their fields they load in
        # half the time of a slotted class's generic state (the importing process is the busier one).
        return Record, (self.position, self.key, self.fields, self.extra, self.warnings, self.city)

    @property
    def unplaced(self) -> bool:
        """No point and no commune code, but an address to look for (``carto.importers.geocoding``)."""
        f = self.fields
        return (f.get("lon") is None and not f.get("commune_code")
                and bool(f.get("street") or f.get("postcode") or self.city))

    def drop_half_point(self) -> None:
        """Half a point is no point: fall back on the commune's centre, and say so."""
        if (self.fields.get("lon") is None) != (self.fields.get("lat") is None):
            self.warnings.append("coordonnées incomplètes : centre de la commune utilisé")
            self.fields["lon"] = self.fields["lat"] = None


@dataclass(frozen=True, slots=True)
class Skip:
    position: int
    reason: str  # a key of REASONS
    detail: str = ""
    key: str | None = None

    @property
    def message(self) -> str:
        label = REASONS[self.reason]
        return f"{label} : {self.detail}" if self.detail else label
