"""Licences of the data, per source: which licence a source's records carry, and what a file
holding records of several sources may honestly say about itself.

Our own records (contributions, demo, sources without a licence of their own that we produced) are
under the Licence Ouverte Etalab 2.0. A record imported from elsewhere keeps its source's licence:
ODbL stays ODbL. ODbL and CC BY-SA are share-alike: a database holding such records may only be
published under that licence, so a file mixing them with Etalab records is published under the
share-alike one (the Licence Ouverte 2.0 is compatible with ODbL and CC BY: our records may go
under it, not the other way round).
"""
import re
from dataclasses import dataclass

from carto.core.textnorm import fold


@dataclass(frozen=True)
class Licence:
    id: str  # SPDX-like identifier ("etalab-2.0", "ODbL-1.0"), or the source's own words
    title: str  # how a French reader names it
    url: str | None
    share_alike: bool = False


ETALAB = Licence("etalab-2.0", "Licence Ouverte / Open Licence version 2.0 (Etalab)",
                 "https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
ODBL = Licence("ODbL-1.0", "Open Database License (ODbL) 1.0", "https://opendatacommons.org/licenses/odbl/1-0/",
               share_alike=True)
CC_BY = Licence("CC-BY-4.0", "Creative Commons Attribution 4.0 (CC BY 4.0)",
                "https://creativecommons.org/licenses/by/4.0/deed.fr")
CC_BY_SA = Licence("CC-BY-SA-4.0", "Creative Commons Attribution - Partage dans les mêmes conditions 4.0 (CC BY-SA 4.0)",
                   "https://creativecommons.org/licenses/by-sa/4.0/deed.fr", share_alike=True)
CC0 = Licence("CC0-1.0", "Creative Commons Zero 1.0 (domaine public)",
              "https://creativecommons.org/publicdomain/zero/1.0/deed.fr")
KNOWN = {licence.id: licence for licence in (ETALAB, ODBL, CC_BY, CC_BY_SA, CC0)}
OWN = ETALAB  # the licence of what we publish ourselves

# What the APIs' descriptions (OpenAPI info.license) say: ours, with the rule for the others.
API_LICENCE = {"name": "Licence Ouverte 2.0 (Etalab) ; les fiches d'autres sources gardent la licence de leur "
                       "source (ODbL…), indiquée par fiche", "url": ETALAB.url}

# Folded words or addresses → licence; the first match wins (BY-SA before BY).
_PATTERNS = [
    (r"odbl|open ?database licen[cs]e|opendatacommons\.org/licenses/odbl", ODBL),
    (r"etalab|licence ouverte|open licen[cs]e", ETALAB),
    (r"cc[- ]?by[- ]?sa|licenses/by-sa|partage dans les memes conditions", CC_BY_SA),
    (r"cc[- ]?0|publicdomain/zero|domaine public", CC0),
    (r"cc[- ]?by|licenses/by/|creative commons attribution", CC_BY),
]


def recognise(text: str | None) -> Licence | None:
    """The licence named by ``text`` (an identifier, a title or an address); one we do not know
    is kept as the source wrote it, never replaced by ours. None when ``text`` is empty."""
    text = (text or "").strip()
    if not text:
        return None
    if text in KNOWN:
        return KNOWN[text]
    folded = fold(text)
    for pattern, licence in _PATTERNS:
        if re.search(pattern, folded):
            return licence
    return Licence(text, text, text if text.startswith(("http://", "https://")) else None)


def of_file(licences: set[Licence]) -> list[Licence]:
    """The licences a file holding records under ``licences`` is published under: the share-alike
    ones when there are any (they bind the whole database), else every licence of its records."""
    licences = licences or {OWN}
    share_alike = {lic for lic in licences if lic.share_alike}
    return sorted(share_alike or licences, key=lambda lic: lic.id)


def statement(licences: set[Licence]) -> str:
    """One French sentence saying under which licence(s) a file is published, and why."""
    published = of_file(licences)
    names = " ; ".join(f"{lic.title}{f' — {lic.url}' if lic.url else ''}" for lic in published)
    if any(lic.share_alike for lic in published) and len(licences) > len(published):
        return (f"Licence du fichier : {names} (il contient des fiches sous cette licence, dont la clause de "
                "partage à l'identique s'applique à l'ensemble ; chaque fiche indique la licence de sa source)")
    if len(published) > 1:
        return f"Licences : chaque fiche est sous la licence de sa source (colonne « licence ») : {names}"
    return f"Licence : {names}"
