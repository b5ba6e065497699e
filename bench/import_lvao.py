"""Benchmark: import 250,000 generated LVAO rows into a fresh SQLite database, then re-import them.

    python bench/import_lvao.py [--rows 250000] [--read-ahead on|off|both] [--keep DIR]
                                [--baseline DIR] [--rounds N] [--hogs N]

Rows follow the real file's 43 columns (see ../shared/data/README.md): Brittany coordinates drawn
in communes in proportion to population, actor types, services, the propositions_de_services JSON
and its per-action columns, labels, SIRET with valid keys, OSM opening hours. Like a national
extract, a few rows are faulty or out of scope: outside Brittany, no point (commune centre),
invalid SIRET, malformed JSON, nothing mapped (rentals), online-only actors.

Each import runs the real command (``carto import FILE --format lvao``) in a child process, so the
figures are the command's own: wall time, rows/s, CPU time and the peak resident memory (RSS) of the
command and its reading process together. ``--read-ahead both`` compares with and without the
second process. ``--baseline DIR``: the code of another checkout (a git worktree of the code before
a change) imports the same file in the same rounds, taking turns with this one (the order reversed
every other round), each into its own fresh copy. ``--hogs N``: N busy processes run meanwhile, a
machine loaded as CI loads it. CPU per row is the command's CPU time (both processes) over the rows:
the machine is shared, and wall times move with the others' jobs while CPU time hardly does.
Target (issue 6, 19): under 60 s and under 500 MB on the project's 2-core machine.
"""
import argparse
import csv
import json
import os
import random
import shutil
import sqlite3
import string
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from carto.directory import bootstrap  # noqa: E402
from carto.directory.service import Service  # noqa: E402
from carto.directory.demo import fake_siret  # noqa: E402
from carto.core.settings import SHARED_GEODATA, Settings  # noqa: E402

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
    parser.add_argument("--read-ahead", choices=("on", "off", "both"), default="on",
                        help="the command's second reading process (on by default when a core is idle)")
    parser.add_argument("--keep", type=Path, help="keep the generated file (reused next time) and the databases here")
    parser.add_argument("--baseline", type=Path, help="another checkout whose code takes turns with this one's")
    parser.add_argument("--rounds", type=int, default=1, help="rounds (each tree imports once per round)")
    parser.add_argument("--hogs", type=int, default=0, help="busy processes running meanwhile (CI's load)")
    args = parser.parse_args()
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="bench-import-"))
    workdir.mkdir(parents=True, exist_ok=True)
    reference, data = workdir / "reference.db", workdir / f"lvao_bench_{args.rows}.csv"
    if not reference.exists():
        service = Service.open(Settings(database_url=f"sqlite:///{reference}", geodata=SHARED_GEODATA))
        bootstrap.load_territories(service)
        bootstrap.load_poles(service, SHARED_GEODATA / "poles_ess_bretagne.csv")
        if not data.exists():
            started = time.perf_counter()
            generate(service, data, args.rows)
            print(f"{args.rows} lignes LVAO générées en {time.perf_counter() - started:.1f} s "
                  f"({data.stat().st_size / 1e6:.0f} Mo) : {data}")
        service.engine.dispose()
    print(f"Fichier : {data} ({data.stat().st_size / 1e6:.0f} Mo)")
    trees = {"": ROOT} | ({" (base)": args.baseline.resolve()} if args.baseline else {})
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hogs)]
    try:
        for round_ in range(args.rounds):
            turns = list(trees.items())[::-1 if round_ % 2 else 1]
            for mode in ("on", "off") if args.read_ahead == "both" else (args.read_ahead,):
                for name, tree in turns:
                    db = fresh_copy(reference, workdir / f"bench-{mode}.db")
                    print(f"\nTour {round_ + 1}{name}, lecture en parallèle : {'oui' if mode == 'on' else 'non'}, "
                          f"{args.hogs} processus parasites")
                    for label in ("import (base vide)", "ré-import (tout inchangé)"):
                        load = os.getloadavg()[0]
                        seconds, cpu, rss_mb, output = run_import(tree, db, data, mode)
                        print(f"{label}{name} : {seconds:.1f} s ({args.rows / seconds:,.0f} lignes/s), temps processeur "
                              f"{cpu:.1f} s ({cpu / args.rows * 1e6:.0f} µs par ligne), mémoire max {rss_mb:.0f} Mo, "
                              f"charge {load:.1f} → {os.getloadavg()[0]:.1f} pour {os.cpu_count()} cœurs".replace(",", " "))
                        print("\n".join("  " + line for line in output.strip().splitlines()[:5]))
    finally:
        for hog in hogs:
            hog.kill()
    if not args.keep:
        shutil.rmtree(workdir)


def fresh_copy(source: Path, target: Path) -> Path:
    for path in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        path.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def run_import(tree: Path, db: Path, data: Path, read_ahead: str) -> tuple[float, float, float, str]:
    """The real command of the checkout ``tree`` in a child process: wall time, CPU time (with its
    reading process), the peak resident memory of both processes together (MB) and its output.

    The CPU time tells the cost apart from the machine's load (others' processes share the cores)."""
    env = dict(os.environ, CARTO_DATABASE_URL=f"sqlite:///{db}", CARTO_GEODATA=str(SHARED_GEODATA))
    command = [sys.executable, "-c", "from carto.cli import app; app()", "import", str(data), "--format", "lvao",
               "--read-ahead" if read_ahead == "on" else "--no-read-ahead"]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = PeakMemory(child.pid)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # its usage includes the reading process it waited for
    seconds = time.perf_counter() - started
    peak.stop()
    if status != 0:
        sys.exit(f"l'import a échoué :\n{output}")
    return seconds, usage.ru_utime + usage.ru_stime, peak.mb, output


class PeakMemory(threading.Thread):
    """Samples the resident memory of a process and its descendants (from /proc) every 50 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.mb, self.running = pid, 0.0, True
        self.start()

    def run(self) -> None:
        while self.running:
            self.mb = max(self.mb, sum(map(_rss_mb, _tree(self.pid))))
            time.sleep(0.05)

    def stop(self) -> None:
        self.running = False
        self.join()


def _tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *(p for child in children for p in _tree(int(child)))]


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)


def generate(service: Service, path: Path, n: int, seed: int = 6) -> None:
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    communes = service.locator.communes
    weights = np.array([max(c.population, 50) for c in communes], dtype=float)
    picked = nrng.choice(len(communes), size=n, p=weights / weights.sum())
    bounds = np.array([g.bounds for g in service.locator.geometries])[picked]
    lons, lats = np.empty(n), np.empty(n)
    todo = np.arange(n)
    for _ in range(20):  # a point drawn in the commune's box, again until it falls on land
        lons[todo] = nrng.uniform(bounds[todo, 0], bounds[todo, 2])
        lats[todo] = nrng.uniform(bounds[todo, 1], bounds[todo, 3])
        todo = todo[service.locator.locate_many(lons[todo], lats[todo]) == None]  # noqa: E711 (numpy)
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
    name = f"{rng.choice(['Atelier', 'Recyclerie', 'Boutique', 'Répar', 'Ressourcerie', 'Le Grenier'])} {commune.name} {i}"
    out = {
        "identifiant": "".join(rng.choices(ID_ALPHABET, k=22)),
        "paternite": rng.choice(PATERNITES), "identifiants_des_contributeurs": "[]",
        "nom": name.upper(), "nom_commercial": name if rng.random() < 0.4 else "",
        "siren": siret[:9], "siret": siret,
        "description": "Dépôt et vente d'objets de seconde main ; ateliers de réparation." if rng.random() < 0.2 else "",
        "type_dacteur": actor_type, "site_web": f"https://exemple-{i}.fr/" if rng.random() < 0.5 else "",
        "telephone": "", "adresse": f"{rng.randint(1, 120)} {rng.choice(STREETS)}", "complement_dadresse": "",
        "code_postal": (commune.postcodes or "").split(",")[0], "ville": commune.name, "code_commune": commune.code,
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
