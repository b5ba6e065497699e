"""A deterministic set of fictional sites for demonstrations and tests.

Every demo site is flagged ``is_demo`` and its name starts with « [Démo] », so no one mistakes it for
a real structure. Sites are spread over communes in proportion to population, with a point drawn
inside the commune, and cover every domain whose moderation is open.
"""
import random
from datetime import date, timedelta

import shapely
from sqlalchemy import Engine
from sqlmodel import Session, select

from carto.directory import batch_writer, bulk
from carto.territory.locator import Locator
from carto.storage.models import LegalForm, Site
from carto.directory.site_schema import SiteData, luhn_ok
from carto.core.taxonomy import Taxonomy

DEMO_PREFIX = "[Démo] "
DEMO_SOURCE = "demo"
NAME_PATTERNS = {
    "reemploi": ["Ressourcerie {c}", "Recyclerie du pays de {c}", "Le Grenier solidaire de {c}"],
    "reparation": ["Repair café de {c}", "Atelier de réparation de {c}"],
    "recyclage": ["Éco-point associatif de {c}"],
    "textile": ["Friperie solidaire de {c}", "Fil & Retouche {c}"],
    "materiaux-batiment": ["Matériauthèque de {c}", "Bâti-Réemploi {c}"],
    "mobilier-professionnel": ["Mobilier pro d'occasion — {c}"],
    "informatique-reconditionnee": ["Ordi Solidaire {c}", "Informatique reconditionnée de {c}"],
    "consigne-emballages": ["Consigne bretonne — {c}"],
    "velo": ["Vélo-école et atelier de {c}", "La Roue libre de {c}", "Cyclo-récup {c}"],
    "covoiturage": ["Covoiturage solidaire de {c}"],
    "autopartage": ["Autopartage citoyen de {c}"],
    "garage-solidaire": ["Garage solidaire de {c}"],
    "transport-solidaire": ["Transport solidaire de {c}", "Mobil'Emploi {c}"],
}
HOURS = [None, "Mo-Fr 09:00-12:00,14:00-18:00", "We,Sa 10:00-18:00", "Tu-Sa 09:30-12:30; PH off",
         "Mo-Fr 08:30-17:00", "Sa 14:00-18:00"]
LABELS = ["Mob'In Bretagne", "Le Rab", "Emmaüs", "Réseau des ressourceries", "Repair Café"]
DESCRIPTIONS = [
    "Collecte, valorisation et revente d'objets du quotidien ; œuvre pour l'emploi local.",
    "Structure de l'économie sociale et solidaire ouverte à toutes et tous.",
    "Ateliers participatifs, accueil des bénévoles et sensibilisation au réemploi.",
    "Chantier d'insertion : parcours d'accompagnement vers l'emploi durable.",
]


def _point_in(geom, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(200):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if geom.contains(shapely.Point(x, y)):
            return round(x, 6), round(y, 6)
    point = geom.representative_point()
    return point.x, point.y


def fake_siret(rng: random.Random) -> str:
    """A random SIRET with a valid Luhn key (fictional, like the rest of the demo)."""
    body = "".join(str(rng.randint(0, 9)) for _ in range(13))
    return next(body + str(k) for k in range(10) if luhn_ok(body + str(k)))


def generate(locator: Locator, taxonomy: Taxonomy, n: int = 500, seed: int = 2024) -> list[SiteData]:
    rng = random.Random(seed)
    communes = locator.communes
    weights = [max(c.population, 50) for c in communes]
    geoms = dict(zip((c.code for c in communes), locator.geometries))
    activities = [a for d in taxonomy.domains if d.is_open() for a in d.activities]
    out = []
    for i in range(n):
        commune = rng.choices(communes, weights)[0]
        # Cycle through activities first so every opened activity has sites, then draw at random.
        main = activities[i] if i < len(activities) else rng.choice(activities)
        extra = [a.slug for a in rng.sample(activities, 2) if a.domain == main.domain and rng.random() < 0.3]
        lon, lat = _point_in(geoms[commune.code], rng)
        name = rng.choice(NAME_PATTERNS.get(main.slug, ["{c} solidaire"])).format(c=commune.name)
        out.append(SiteData(
            name=f"{DEMO_PREFIX}{name}", activities=[main.slug, *extra], lon=lon, lat=lat,
            description=rng.choice(DESCRIPTIONS), street=f"{rng.randint(1, 80)} rue de la Solidarité",
            postcode=(commune.postcodes.split(",")[0] if commune.postcodes else ""),
            website=f"https://exemple.org/demo-{i}", opening_hours=rng.choice(HOURS),
            siret=fake_siret(rng) if rng.random() < 0.8 else None,
            legal_form=rng.choice(list(LegalForm)), siae=rng.random() < 0.2, ea_esat=rng.random() < 0.08,
            serves_professionals=rng.random() < 0.3,
            labels=rng.sample(LABELS, rng.choice([0, 0, 1, 2])),
            verified_at=date(2026, 6, 1) - timedelta(days=rng.randint(0, 700))))
    return out


def load(engine: Engine, locator: Locator, taxonomy: Taxonomy, n: int = 500, seed: int = 2024) -> int:
    """Write the demo sites (idempotent: keyed by source « demo » and their rank) through the batch
    write path, ``bulk.READ_CHUNK`` sites a transaction; returns how many were new."""
    with Session(engine) as session:
        existing = set(session.exec(select(Site.source_key).where(Site.source == DEMO_SOURCE)))
    new = [(str(rank), data) for rank, data in enumerate(generate(locator, taxonomy, n, seed)) if str(rank) not in existing]
    with batch_writer.new_site_batches(engine, actor="demo") as write:
        for start in range(0, len(new), bulk.READ_CHUNK):
            batch = new[start:start + bulk.READ_CHUNK]
            rows = [bulk.new_row(data.model_dump(exclude={"activities"}), is_demo=True, source=DEMO_SOURCE,
                                 source_key=key, credit="Données fictives de démonstration") for key, data in batch]
            errors = bulk.place(rows, locator)
            if any(errors):
                raise next(e for e in errors if e)
            write(rows, [data.activities for _, data in batch])
    return len(new)
