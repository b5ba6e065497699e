"""Benchmark: import 250,000 generated LVAO rows into a fresh SQLite database, then re-import them.

    python bench/import_lvao.py [--rows 250000] [--keep DIR]

Rows follow the real file's 43 columns (see ../shared/data/README.md): Brittany coordinates drawn
in communes in proportion to population, actor types, services, the propositions_de_services JSON
and its per-action columns, labels, SIRET with valid keys, OSM opening hours. Like a national
extract, a few rows are faulty or out of scope: outside Brittany, no point (commune centre),
invalid SIRET, malformed JSON, nothing mapped (rentals), online-only actors.

Each import runs the real command (``carto import FILE --format lvao``) in a child process, so the
figures are the command's own: wall time, rows/s and peak resident memory (RSS) of the child.
Target (issue 6): under 60 s and under 500 MB on the project's 2-core machine.
"""
import argparse
import csv
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from carto import bootstrap  # noqa: E402
from carto.context import Carto  # noqa: E402
from carto.demo import fake_siret  # noqa: E402
from carto.settings import SHARED_GEODATA, Settings  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "data" / "lvao_acteurs_bretagne_sample.csv"
ID_ALPHABET = string.ascii_letters + string.digits
SUB_CATEGORIES = ["vetement", "linge_de_maison", "chaussures", "velo", "meuble", "materiel_informatique",
                  "smartphone_tablette_et_console", "petit_electromenager", "gros_electromenager_hors_refrigerant",
                  "jouet", "livre", "vaisselle", "decoration", "luminaire", "outil_de_bricolage_et_jardinage",
                  "materiel_de_sport_hors_velo", "puericulture", "maroquinerie", "bijou_et_montre", "ecran"]
# (type_dacteur, weight, services, actions)
PROFILES = [
    ("commerce", 30, ["achat_revente_particuliers"], ["acheter", "revendre"]),
    ("artisan", 28, ["service_de_reparation"], ["reparer"]),
    ("ess", 12, ["recyclerie", "structure_de_collecte"], ["donner", "acheter", "trier"]),
    ("collectivite", 5, ["espace_de_partage"], ["preter", "emprunter", "donner"]),
    ("pav_public", 10, ["structure_de_collecte"], ["donner", "trier"]),
    ("decheterie", 5, ["structure_de_collecte"], ["trier", "donner"]),
    ("commerce", 6, ["location_professionnel"], ["louer"]),  # nothing mapped: skipped
    ("acteur_digital", 2, ["achat_revente_particuliers"], ["acheter"]),  # online only: skipped
    ("ess", 2, ["atelier_pour_reparer_soi_meme"], ["reparer"]),
]
PATERNITES = ["Longue Vie Aux Objets|ADEME", "Longue Vie Aux Objets|ADEME|REFASHION",
              "Longue Vie Aux Objets|ADEME|SINOE", "Longue Vie Aux Objets|ADEME|CARTECO",
              "Longue Vie Aux Objets|ADEME|ECOSYSTEM|ECOLOGIC"]
HOURS = ["", "", "Mo-Fr 09:00-12:00,14:00-18:00", "Tu-Sa 10:00-19:00", "We,Sa 10:00-18:00", "Mo-Sa 09:00-19:00"]
STREETS = ["rue de la Gare", "avenue de la République", "rue du Port", "place de l'Église", "ZA de Kerboulard",
           "boulevard Jean Jaurès", "rue de Brest", "chemin de Kerlann", "rue des Écoles"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--keep", type=Path, help="keep the generated file (reused next time) and the database here")
    args = parser.parse_args()
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="bench-import-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "bench.db"
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    carto = Carto.open(Settings(database_url=f"sqlite:///{db}", geodata=SHARED_GEODATA))
    bootstrap.load_territories(carto)
    bootstrap.load_poles(carto, SHARED_GEODATA / "poles_ess_bretagne.csv")
    data = workdir / f"lvao_bench_{args.rows}.csv"
    if data.exists():
        print(f"Fichier réutilisé : {data}")
    else:
        started = time.perf_counter()
        generate(carto, data, args.rows)
        print(f"{args.rows} lignes LVAO générées en {time.perf_counter() - started:.1f} s "
              f"({data.stat().st_size / 1e6:.0f} Mo) : {data}")
    carto.engine.dispose()
    print(f"Charge de la machine : {os.getloadavg()[0]:.1f} (moyenne sur 1 min) pour {os.cpu_count()} cœurs")
    for label in ("import (base vide)", "ré-import (tout inchangé)"):
        seconds, cpu, rss_mb, output = run_import(db, data)
        print(f"\n{label} : {seconds:.1f} s ({args.rows / seconds:,.0f} lignes/s), temps processeur {cpu:.1f} s, "
              f"mémoire max {rss_mb:.0f} Mo".replace(",", " "))
        print("\n".join("  " + line for line in output.strip().splitlines()[:10]))
    if not args.keep:
        shutil.rmtree(workdir)


def run_import(db: Path, data: Path) -> tuple[float, float, float, str]:
    """The real command in a child process: wall time, CPU time, its peak RSS (MB) and its output.

    The CPU time tells the cost apart from the machine's load (others' processes share the cores)."""
    env = dict(os.environ, CARTO_DATABASE_URL=f"sqlite:///{db}", CARTO_GEODATA=str(SHARED_GEODATA))
    command = [sys.executable, "-c", "from carto.cli import app; app()", "import", str(data), "--format", "lvao"]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        sys.exit(f"l'import a échoué :\n{output}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output  # maxrss: KiB on Linux


def generate(carto: Carto, path: Path, n: int, seed: int = 6) -> None:
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    communes = carto.locator.communes
    weights = np.array([max(c.population, 50) for c in communes], dtype=float)
    picked = nrng.choice(len(communes), size=n, p=weights / weights.sum())
    bounds = np.array([g.bounds for g in carto.locator.geometries])[picked]
    lons, lats = np.empty(n), np.empty(n)
    todo = np.arange(n)
    for _ in range(20):  # a point drawn in the commune's box, again until it falls on land
        lons[todo] = nrng.uniform(bounds[todo, 0], bounds[todo, 2])
        lats[todo] = nrng.uniform(bounds[todo, 1], bounds[todo, 3])
        todo = todo[carto.locator.locate_many(lons[todo], lats[todo]) == None]  # noqa: E711 (numpy)
    profiles, profile_weights = PROFILES, [p[1] for p in PROFILES]
    with SAMPLE.open(encoding="utf-8") as f:
        columns = next(csv.reader(f))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for i in range(n):
            commune = communes[picked[i]]
            writer.writerow(row(rng, i, commune, lons[i], lats[i], rng.choices(profiles, profile_weights)[0]))


def row(rng: random.Random, i: int, commune, lon: float, lat: float, profile) -> dict:
    actor_type, _, services, actions = profile
    proposals = [{"action": a, "sous_categories": sorted(rng.sample(SUB_CATEGORIES, rng.randint(1, 12)))}
                 for a in actions]
    labels = [label for label, p in (("ess", 0.9 if actor_type == "ess" else 0.02), ("reparacteur", 0.15),
                                     ("qualirepar", 0.1), ("refashion", 0.05)) if rng.random() < p]
    fault = rng.random()
    latitude, longitude = f"{lat:.6f}", f"{lon:.6f}"
    if fault < 0.03:  # no point: the commune's centre will do
        latitude = longitude = ""
    elif fault < 0.05:  # a national file: elsewhere in France
        latitude, longitude = f"{rng.uniform(43.5, 49.5):.6f}", f"{rng.uniform(0.5, 6.5):.6f}"
    siret = fake_siret(rng)
    if rng.random() < 0.005:
        siret = siret[:-1] + str((int(siret[-1]) + 1) % 10)  # wrong key
    propositions = json.dumps(proposals, ensure_ascii=False)
    if rng.random() < 0.001:
        propositions = propositions[:-3]  # truncated JSON
    name = f"{rng.choice(['Atelier', 'Recyclerie', 'Boutique', 'Répar', 'Ressourcerie', 'Le Grenier'])} {commune.nom} {i}"
    out = {
        "identifiant": "".join(rng.choices(ID_ALPHABET, k=22)),
        "paternite": rng.choice(PATERNITES), "identifiants_des_contributeurs": "[]",
        "nom": name.upper(), "nom_commercial": name if rng.random() < 0.4 else "",
        "siren": siret[:9], "siret": siret,
        "description": "Dépôt et vente d'objets de seconde main ; ateliers de réparation." if rng.random() < 0.2 else "",
        "type_dacteur": actor_type, "site_web": f"https://exemple-{i}.fr/" if rng.random() < 0.5 else "",
        "telephone": "", "adresse": f"{rng.randint(1, 120)} {rng.choice(STREETS)}", "complement_dadresse": "",
        "code_postal": (commune.codes_postaux or "").split(",")[0], "ville": commune.nom, "code_commune": commune.code,
        "code_epci": commune.epci_code or "", "nom_epci": "", "latitude": latitude, "longitude": longitude,
        "perimetreadomicile": "", "qualites_et_labels": "|".join(labels),
        "public_accueilli": rng.choice(["Particuliers", "Particuliers et professionnels", ""]), "reprise": "",
        "exclusivite_de_reprisereparation": "false", "uniquement_sur_rdv": rng.choice(["false", "false", "true"]),
        "type_de_services": "|".join(services), "consignes_dacces": "",
        "horaires_description": "du lundi au vendredi 9h-18h" if rng.random() < 0.3 else "",
        "horaires_osm": rng.choice(HOURS), "lieu_prestation": "", "propositions_de_services": propositions,
        "date_de_derniere_modification": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
    for action in ("emprunter", "preter", "louer", "mettreenlocation", "reparer", "donner", "trier", "echanger",
                   "revendre", "acheter"):
        subs = next((p["sous_categories"] for p in proposals if p["action"] == action), [])
        out[action] = "|".join(subs)
    return out


if __name__ == "__main__":
    main()
