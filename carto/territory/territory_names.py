"""Names of territories and pôles for display: filter lists, a site's page, list headings."""
from dataclasses import dataclass

from sqlmodel import Session, col, select

from carto.storage.models import Commune, Pole, PoleCommune, Territory
from carto.core.textnorm import fold



@dataclass(frozen=True)
class LevelWords:
    """The French words of a level, for every sentence and heading that names one."""
    singular: str  # within a sentence: « département », « EPCI », « pôle ESS »
    plural: str
    feminine: bool = False

    @property
    def title(self) -> str:
        return self.singular[0].upper() + self.singular[1:]

    @property
    def plural_title(self) -> str:
        return self.plural[0].upper() + self.plural[1:]

    @property
    def unknown(self) -> str:
        return f"{self.singular} inconnu{'e' if self.feminine else ''}"


WORDS = {"commune": LevelWords("commune", "communes", feminine=True), "epci": LevelWords("EPCI", "EPCI"),
         "pays": LevelWords("pays", "pays"), "departement": LevelWords("département", "départements"),
         "pole": LevelWords("pôle ESS", "pôles ESS")}
# Filter levels of the public pages, in the order they are offered, with their label.
LEVELS = {level: WORDS[level].title for level in ("pole", "epci", "pays", "departement")}


@dataclass(frozen=True)
class Named:
    level: str  # commune | epci | pays | departement | pole
    code: str
    name: str


def options(session: Session) -> dict[str, list[Named]]:
    """Every pôle, EPCI, pays and département, by level; départements by code, others by name."""
    out: dict[str, list[Named]] = {level: [] for level in LEVELS}
    # Names only: a pôle's row holds its coverage's geometry (up to megabytes), and every page with
    # the filter form lists them.
    out["pole"] = [Named("pole", pole_id, pole_name) for pole_id, pole_name in session.exec(select(Pole.id, Pole.name))]
    rows = session.exec(select(Territory.level, Territory.code, Territory.name)
                        .where(col(Territory.level).in_(["epci", "pays", "departement"]))
                        .order_by(Territory.code)).all()
    for level, code, territory_name in rows:
        out[level].append(Named(level, code, territory_name))
    for level in ("pole", "epci", "pays"):
        out[level].sort(key=lambda n: fold(n.name))  # accents aside: « Île » among the I
    return out


def name(session: Session, level: str, code: str) -> str | None:
    if level == "pole":
        pole = session.get(Pole, code)
        return pole.name if pole else None
    if level == "commune":
        commune = session.get(Commune, code)
        return commune.name if commune else None
    territory = session.get(Territory, (level, code))
    return territory.name if territory else None


def of_commune(session: Session, commune_code: str | None, epci: str | None, pays: str | None,
               departement: str | None) -> list[Named]:
    """The named territories a site lies in: commune, EPCI, pays, département, then its pôles."""
    found = [Named(level, code, named) for level, code in
             (("commune", commune_code), ("epci", epci), ("pays", pays), ("departement", departement))
             if code and (named := name(session, level, code))]
    if commune_code:
        poles = session.exec(select(Pole).join(PoleCommune, col(PoleCommune.pole_id) == col(Pole.id))
                             .where(PoleCommune.commune_code == commune_code).order_by(Pole.name)).all()
        found += [Named("pole", p.id, p.name) for p in poles]
    return found
