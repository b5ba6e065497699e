"""The ``carto`` command: set up a database, load reference data, serve the site."""
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from carto.directory import bootstrap

from carto.storage import backup, migrate, search_index

from carto.territory import poles
from carto.directory.service import Service
from carto.storage.db import engine_for, session_scope
from carto.core.settings import DEFAULT_SECRET_KEY, Settings, UnsafeSettings, check_deployment, get_settings
from carto.territory.territory_load import TerritoryLoadError

app = typer.Typer(help="Carto ESS : annuaire et carte de l'ESS en Bretagne.", no_args_is_help=True)
territories_app = typer.Typer(help="Communes, EPCI, pays et départements.", no_args_is_help=True)
poles_app = typer.Typer(help="Pôles ESS et zones de couverture.", no_args_is_help=True)
app.add_typer(territories_app, name="territories")
taxonomy_app = typer.Typer(help="Domaines et activités (geodata/taxonomy.yaml).", no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(poles_app, name="poles")
db_app = typer.Typer(help="Schéma de la base : migrations (Alembic).", no_args_is_help=True)
app.add_typer(db_app, name="db")

Port = Annotated[int, typer.Option(help="Port HTTP")]
# A database this code cannot use yet: older schema, or PostgreSQL without PostGIS.
NOT_READY = (migrate.SchemaOutdated, search_index.MissingExtension)
Host = Annotated[str, typer.Option(help="Adresse d'écoute")]


def _service() -> Service:
    try:
        return Service.open(get_settings())
    except NOT_READY as e:
        raise _fail(e) from None


def _upgraded_service() -> Service:
    """For the commands that set a database up: create it, or bring its schema up to date first."""
    engine = engine_for(get_settings())
    try:
        migrate.upgrade(engine)
    except NOT_READY as e:
        raise _fail(e) from None
    finally:
        engine.dispose()
    return _service()


def _fail(error: Exception) -> typer.Exit:
    """Bad input (file, table) is the user's to fix: say what is wrong, without a traceback."""
    typer.secho(f"Erreur : {error}", fg="red", err=True)
    return typer.Exit(code=1)


def _say_territories_off(service: Service) -> None:
    if not service.settings.territories_enabled:
        typer.secho("Aucun répertoire de géodonnées (CARTO_GEODATA) : fonctions territoriales désactivées.",
                    fg="yellow", err=True)


@app.command()
def init():
    """Crée la base de données (tables et index), ou met à jour son schéma (carto db upgrade)."""
    service = _upgraded_service()
    typer.echo(f"Base prête : {service.settings.database_url}")
    _say_territories_off(service)


@app.command()
def serve(port: Port = 8000, host: Host = "127.0.0.1",
          workers: Annotated[int, typer.Option(min=1, help="Processus serveurs (au-delà de 1 : PostgreSQL conseillé)")] = 1):
    """Sert la carte et l'API."""
    import uvicorn
    service = _service()  # refuses a database this code cannot use, before any worker starts
    _say_territories_off(service)
    if "public_base_url" not in service.settings.model_fields_set:
        # Embed codes and shared links must point where this server answers, not at the default port
        # (in the environment too: each worker reads its settings from there).
        service.settings.public_base_url = os.environ["CARTO_PUBLIC_BASE_URL"] = f"http://{host}:{port}"
    try:
        check_deployment(service.settings, host)
    except UnsafeSettings as e:
        raise _fail(e) from None
    service.engine.dispose()
    typer.echo(f"Carte : http://{host}:{port}/   API : http://{host}:{port}/docs")
    uvicorn.run("carto.app:create_app", factory=True, host=host, port=port, workers=workers,
                **proxy_options(service.settings))


def proxy_options(settings: Settings) -> dict:
    """uvicorn believes X-Forwarded-For only from ``CARTO_TRUSTED_PROXIES``; from anyone else (and
    when it is empty, from everyone) the header is ignored and limits key on the peer's address."""
    trusted = settings.trusted_proxies.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


@app.command()
def demo(port: Port = 8000, host: Host = "127.0.0.1",
         sites: Annotated[int, typer.Option(help="Nombre de sites fictifs")] = 500,
         no_serve: Annotated[bool, typer.Option("--no-serve", help="Préparer la base sans servir")] = False):
    """Crée la base, charge territoires, pôles et sites de démonstration, puis sert la carte."""
    service = _upgraded_service()
    _say_territories_off(service)
    report = bootstrap.setup_demo(service, sites)
    if report.territories:
        typer.echo("Territoires chargés : " + territory_counts(report.territories))
    typer.echo(f"Pôles ESS : {report.poles} ; sites de démonstration créés : {report.demo_sites}")
    if not no_serve:
        if service.settings.secret_key == DEFAULT_SECRET_KEY:
            # Sessions of this demonstration only: the server processes read it from the environment.
            os.environ["CARTO_SECRET_KEY"] = secrets.token_urlsafe(32)
            get_settings.cache_clear()
        serve(port=port, host=host)


@territories_app.command("load")
def territories_load(path: Annotated[Path, typer.Argument(help="Couche des communes (GeoJSON, GeoPackage, Shapefile…)")],
                    dry_run: Annotated[bool, typer.Option("--dry-run", help="Afficher le rapport sans rien écrire")] = False):
    """Charge une couche de communes avec une colonne de code INSEE, construit EPCI, pays, départements
    et replace chaque site dans la nouvelle géographie (une version d'historique par site qui change)."""
    try:
        report = bootstrap.load_territories(_service(), path, dry_run=dry_run)
    except (TerritoryLoadError, OSError) as e:
        raise _fail(e) from None
    for line in geography_lines(report):
        typer.echo(line)


def territory_counts(counts: dict[str, int]) -> str:
    """« 1202 communes, 61 EPCI, 21 pays, 4 départements »: what a territory load wrote."""
    from carto.territory.territory_names import WORDS
    return ", ".join(f"{n} {WORDS[level].plural if n > 1 else WORDS[level].singular}" for level, n in counts.items())


REPORT_LEVELS = {"commune_code": "de commune", "epci_code": "d'EPCI", "pays_code": "de pays",
                 "dep_code": "de département", "poles": "de pôle"}
REPORT_EXAMPLES = 20  # sites listed per kind of move; the rest are counted


def geography_lines(report) -> list[str]:
    """The report of a territory load, in French, for a person to read."""
    lines = [("Simulation (--dry-run) : rien n'a été écrit. " if report.dry_run else "")
             + territory_counts(report.territories),
             f"Sites replacés : {report.sites} ; " + (
                 "aucun ne change de territoire" if not report.changed else
                 f"{report.changed} change{'nt' if report.changed > 1 else ''} de territoire"
                 + ("" if report.dry_run else " (une version d'historique chacun, « mise à jour de la géographie »)"))]
    for level, label in REPORT_LEVELS.items():
        moves = report.moves[level]
        if moves:
            lines.append(f"Changement {label} : {len(moves)} site{'s' if len(moves) > 1 else ''}")
            lines += [f"  #{m.site_id} {m.name} : {_codes(m.before)} → {_codes(m.after)}"
                      for m in moves[:REPORT_EXAMPLES]]
            if len(moves) > REPORT_EXAMPLES:
                lines.append(f"  … et {len(moves) - REPORT_EXAMPLES} autres")
    lines.append(f"Sites désormais hors de toute commune : {len(report.outside)}")
    lines += [f"  #{m.site_id} {m.name} (auparavant {m.before or 'sans commune'})" for m in report.outside]
    return lines


def _codes(value) -> str:
    if isinstance(value, tuple):
        return ", ".join(value) or "aucun"
    return value or "aucun"


@taxonomy_app.command("load")
def taxonomy_load():
    """Prend en compte geodata/taxonomy.yaml modifié (libellés, synonymes, domaines ouverts) : réécrit
    le texte de recherche de chaque site et change la version des données ; les serveurs en cours le
    servent dès leur requête suivante, sans redémarrage."""
    from carto.core.taxonomy import TaxonomyError
    try:
        sites_count = bootstrap.load_taxonomy(_service())
    except (TaxonomyError, OSError) as e:
        raise _fail(e) from None
    typer.echo(f"Taxonomie chargée ; texte de recherche réécrit pour {sites_count} sites")


@poles_app.command("load")
def poles_load(csv: Annotated[Path, typer.Argument(help="Table des pôles (pole_id, nom, pays_codes…)")]):
    """Crée ou met à jour les pôles ESS et recalcule leurs zones de couverture."""
    try:
        typer.echo(f"{bootstrap.load_poles(_service(), csv)} pôles")
    except (poles.PoleError, OSError, KeyError) as e:
        raise _fail(e) from None


@poles_app.command("coverage")
def poles_coverage(
    pole_id: Annotated[str, typer.Argument(help="Identifiant du pôle")],
    pays: Annotated[list[str], typer.Option("--pays", help="Code de pays couvert (répétable)")] = [],
    geojson: Annotated[Path | None, typer.Option(help="Zone de couverture (polygone GeoJSON)")] = None,
):
    """Change la zone de couverture d'un pôle : une liste de pays, ou un polygone GeoJSON."""
    service = _service()
    try:
        text = geojson.read_text(encoding="utf-8") if geojson else None
        with session_scope(service.engine) as session:
            poles.set_coverage(session, pole_id, pays=[p.zfill(2) for p in pays], geojson=text)
            communes = len(poles.communes_of(session, pole_id))
    except (poles.PoleError, OSError) as e:
        raise _fail(e) from None
    typer.echo(f"{pole_id} : {communes} communes couvertes")


@app.command("backup")
def backup_cmd(target: Annotated[Path, typer.Argument(help="Fichier de sauvegarde à créer")]):
    """Sauvegarde la base SQLite pendant que le service tourne."""
    try:
        typer.echo(f"Sauvegarde écrite : {backup.backup(_service().engine, target)}")
    except backup.BackupError as e:
        raise _fail(e) from None


@app.command("restore")
def restore_cmd(source: Annotated[Path, typer.Argument(help="Fichier de sauvegarde")],
                yes: Annotated[bool, typer.Option("--yes", help="Ne pas demander de confirmation")] = False):
    """Remplace tout le contenu de la base par une sauvegarde."""
    if not yes:
        typer.confirm("Remplacer tout le contenu de la base par cette sauvegarde ?", abort=True)
    try:
        backup.restore(_service().engine, source)
    except backup.BackupError as e:
        raise _fail(e) from None
    typer.echo("Base restaurée.")


@app.command()
def coverage():
    """Couverture des pôles : communes, population et sites ; puis communes non couvertes ou en double."""
    service = _service()
    with service.session() as session:
        report = poles.coverage_report(session, listed=None)
    typer.echo(f"{'Pôle':<40} {'communes':>8} {'population':>11} {'sites':>6}")
    for s in report.poles:
        typer.echo(f"{s.pole.name:<40} {s.communes:>8} {s.population:>11} {s.sites:>6}")
    typer.echo(f"\nCommunes couvertes par aucun pôle : {len(report.uncovered)}")
    for c in report.uncovered:
        typer.echo(f"  {c.code} {c.name} ({c.population} hab.)")
    typer.echo(f"Communes couvertes par plusieurs pôles : {len(report.covered_twice)}")
    for c, pole_ids in report.covered_twice:
        typer.echo(f"  {c.code} {c.name} : {', '.join(pole_ids)}")
    typer.echo(f"Sites publiés hors de toute zone de pôle : {report.outside_count}")
    for site in report.sites_outside:
        typer.echo(f"  #{site.id} {site.name} ({site.commune_name or 'hors territoire'})")


@app.command("import")
def import_cmd(
        file: Annotated[Path, typer.Argument(help="Fichier à importer")],
        format: Annotated[str, typer.Option("--format", "-f", help="lvao, csv, geojson ou gogocarto")],
        mapping: Annotated[Path | None, typer.Option(help="Fichier de correspondance (YAML)")] = None,
        source: Annotated[str | None, typer.Option(help="Nom de la source (par défaut celui de la correspondance)")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Tout vérifier sans rien écrire")] = False,
        report: Annotated[Path | None, typer.Option(help="CSV de toutes les lignes écartées")] = None,
        read_ahead: Annotated[bool | None, typer.Option(
            "--read-ahead/--no-read-ahead",
            help="Lire et valider le fichier dans un second processus (par défaut : gros fichier et cœur libre)")] = None):
    """Importe des sites (LVAO, CSV, GeoJSON, GoGoCarto) : crée, met à jour, écarte en disant pourquoi."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
    from carto.importers import ImportFileError, run_import, summary
    service = _service()
    _say_territories_off(service)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                      transient=True) as bar:
            task = bar.add_task("Import", total=file.stat().st_size)
            result = run_import(service, file, format, mapping=mapping, source=source, dry_run=dry_run, actor="cli",
                                read_ahead=read_ahead,
                                progress=lambda rows, done: bar.update(task, completed=done,
                                                                       description=f"{rows} lignes lues"))
    except (ImportFileError, OSError) as e:
        raise _fail(e) from None
    for line in summary.lines(result):
        typer.echo(line)
    if report:
        summary.write_csv(result, report)
        typer.echo(f"Rapport complet : {report}")


sites_app = typer.Typer(help="Sites : vérifications auprès des registres publics.", no_args_is_help=True)
app.add_typer(sites_app, name="sites")


@sites_app.command("check-sirene")
def sites_check_sirene(max_age: Annotated[int, typer.Option(
        "--max-age", help="Jours : les sites vérifiés depuis moins longtemps sont passés (reprise d'une vérification "
                          "interrompue)")] = 30):
    """Compare chaque site publié ayant un SIRET avec Sirene : signalements « fermé selon Sirene », propositions
    de changement de nom ou de forme juridique, pour les modérateurs (7 demandes par seconde au plus)."""
    from datetime import timedelta
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from carto.community import sirene_check
    service = _service()
    age = timedelta(days=max_age)
    with service.session() as session:
        total = len(sirene_check.due(session, age))
    with Progress(TextColumn("Sirene"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task("Sirene", total=total)
        report = sirene_check.run(service, age, lambda n: bar.advance(task, n))
    typer.echo(f"{report.checked} sites vérifiés sur {total} ; fermés selon Sirene (signalés) : {len(report.closed)} ; "
               f"changements proposés : {len(report.changed)} ; SIRET inconnus de Sirene : {len(report.unknown)}")
    if report.failed:
        typer.secho(f"Arrêt : {report.failed}. Relancez la commande plus tard : elle reprendra où elle s'est arrêtée.",
                    fg="red", err=True)
        raise typer.Exit(code=1)


# --- Accounts and moderation mail ---------------------------------------------------------------

users_app = typer.Typer(help="Comptes de modération (administrateurs et modérateurs).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(email: Annotated[str, typer.Argument(help="E-mail du compte")],
              role: Annotated[str, typer.Option(help="admin ou moderator")] = "moderator",
              pole: Annotated[list[str] | None, typer.Option(help="Pôle modéré (répétable)")] = None,
              domain: Annotated[list[str] | None, typer.Option(help="Domaine modéré (répétable)")] = None,
              name: Annotated[str, typer.Option(help="Nom affiché")] = "",
              password: Annotated[str | None, typer.Option(help="Mot de passe (demandé s'il manque)")] = None):
    """Crée un compte : un administrateur voit tout ; un modérateur, ses pôles et/ou ses domaines."""
    from carto.community import users
    from carto.storage.models import UserRole
    if role not in {r.value for r in UserRole}:
        raise _fail(ValueError(f"rôle inconnu : « {role} » (admin ou moderator)"))
    if password is None:
        password = typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    service = _service()
    try:
        with session_scope(service.engine) as session:
            user = users.create(session, service.taxonomy, email, password, role=UserRole(role), name=name,
                                poles=pole or [], domains=domain or [])
            typer.echo(f"Compte créé : {user.email} ({role}) — périmètre : {_scope_text(users.scope_of(session, user))}")
    except users.UserError as e:
        raise _fail(e) from None


@users_app.command("list")
def users_list():
    """Liste les comptes et leur périmètre."""
    from sqlmodel import select
    from carto.community import users
    from carto.storage.models import User
    service = _service()
    with service.session() as session:
        for user in session.exec(select(User).order_by(User.email)):
            state = "" if user.active else " [désactivé]"
            typer.echo(f"{user.email:<40} {user.role.value:<10} {_scope_text(users.scope_of(session, user))}{state}")


def _scope_text(scope) -> str:
    if scope.everything:
        return "tout"
    parts = [f"pôles {', '.join(sorted(scope.poles))}" if scope.poles else "",
             f"domaines {', '.join(sorted(scope.domains))}" if scope.domains else ""]
    return " et ".join(p for p in parts if p) or "aucun"


@app.command()
def notify(digests: Annotated[bool, typer.Option(help="Envoyer aussi le résumé de file de chaque modérateur")] = True):
    """Envoie les e-mails en attente et, à chaque modérateur, ce qui est nouveau dans son périmètre
    depuis son dernier résumé ; dit ce qui a échoué."""
    from carto.community import digest, mail, ratelimit
    from carto.importers import conflicts
    service = _service()
    ratelimit.purge(service.engine)  # forget counters that no longer limit anything
    queued = digest.queue_digests(service, [digest.contribution_items, conflicts.digest_items]) if digests else 0
    sent, failed = mail.deliver_pending(service.engine, service.settings)
    where = service.settings.smtp_host or mail.outbox_dir(service.settings)
    typer.echo(f"Résumés préparés : {queued} ; e-mails envoyés : {sent} (vers {where}) ; en échec : {failed}")
    with service.session() as session:
        for m in mail.undelivered(session):
            typer.secho(f"  non envoyé n° {m.id} à {m.to} ({m.attempts} essais) : {m.last_error}", fg="yellow", err=True)
    if failed:
        raise typer.Exit(code=1)


# --- Freshness campaigns -------------------------------------------------------------------------

freshness_app = typer.Typer(help="Campagnes de fraîcheur : les structures confirment ou corrigent leur fiche.",
                            no_args_is_help=True)
app.add_typer(freshness_app, name="freshness")


@freshness_app.command("send")
def freshness_send():
    """Écrit aux structures dont la fiche n'est pas vérifiée depuis CARTO_FRESHNESS_MONTHS mois (12), relance
    les demandes sans réponse (deux fois au plus), puis confie les fiches restées muettes aux modérateurs."""
    from carto.community import campaigns, mail
    service = _service()
    with session_scope(service.engine) as session:
        report = campaigns.send(session, service)
    sent, failed = mail.deliver_pending(service.engine, service.settings)
    typer.echo(f"Fiches demandées : {report.asked} ; relances : {report.reminded} ; sans réponse, confiées aux "
               f"modérateurs : {report.unanswered} ; sans e-mail public : {report.without_email}")
    typer.echo(f"E-mails préparés : {report.mails} ; envoyés : {sent} ; en échec : {failed}")
    if failed:
        raise typer.Exit(code=1)


# --- Import queues: conflicts and sites missing from their source ------------------------------

conflicts_app = typer.Typer(help="Conflits d'import : une correction à la main contre une nouvelle valeur de la source.",
                            no_args_is_help=True)
missing_app = typer.Typer(help="Fiches que leur source d'import ne liste plus.", no_args_is_help=True)
app.add_typer(conflicts_app, name="conflicts")
app.add_typer(missing_app, name="missing")
Account = Annotated[str, typer.Option("--user", help="E-mail du compte au nom duquel lire et décider (son périmètre)")]
Ids = Annotated[list[int], typer.Argument(help="Numéros (un ou plusieurs)")]


def _account(session, email: str):
    from carto.community import users
    user = users.by_email(session, email)
    if user is None or not user.active:
        raise _fail(ValueError(f"aucun compte actif pour « {email} »"))
    return user, users.scope_of(session, user)


def _list_queue(email: str, count, rows, line, total: str) -> None:
    """Print an import queue as ``email``'s account sees it (its scope): one ``line`` per row, then
    the ``total`` (« {} conflit(s)… ») of the whole queue."""
    service = _service()
    with service.session() as session:
        _user, scope = _account(session, email)
        for row in rows(session, scope, service):
            typer.echo(line(row))
        typer.echo(total.format(count(session, scope, service)))


def _resolve_queue(email: str, ids: list[int], decide, label: str) -> None:
    """Decide the given items as ``email``'s account: ``decide(session, service, account, scope, id)``."""
    from carto.importers import conflicts
    service = _service()
    with service.session() as session:
        account, _scope = _account(session, email)
    _report(conflicts.decide_many(service, account, ids,
                                  lambda s, scope, i: decide(s, service, account, scope, i), label))


@conflicts_app.command("list")
def conflicts_list(user: Account, limit: Annotated[int, typer.Option(help="Nombre de lignes au plus")] = 200):
    """Liste les conflits ouverts du périmètre : notre valeur (qui, quand) et celle de la source (quand)."""
    from carto.community.moderation import paris_time
    from carto.importers import conflicts

    def line(r) -> str:
        ours_at = f", le {paris_time(r.ours_at)}" if r.ours_at else ""
        return (f"n° {r.conflict.id} — fiche {r.site.id} « {r.site.name} » — {r.label}\n"
                f"    la nôtre : {r.ours} (par {r.ours_by}{ours_at})\n"
                f"    la source ({r.conflict.source}) : {r.theirs} (import du {paris_time(r.theirs_at)})")
    _list_queue(user, conflicts.count_conflicts, lambda *read: conflicts.conflict_rows(*read, limit=limit), line,
                "{} conflit(s) ouvert(s) dans le périmètre")


@conflicts_app.command("resolve")
def conflicts_resolve(ids: Ids, user: Account,
                      keep: Annotated[bool, typer.Option("--keep/--source",
                                                         help="Garder notre valeur, ou prendre celle de la source")]):
    """Décide des conflits donnés : --keep garde notre valeur, --source applique celle de la source."""
    from carto.importers import conflicts
    _resolve_queue(user, ids, lambda *decision: conflicts.decide_conflict(*decision, apply=not keep),
                   "valeur actuelle gardée" if keep else "valeur de la source appliquée")


@missing_app.command("list")
def missing_list(user: Account, limit: Annotated[int, typer.Option(help="Nombre de lignes au plus")] = 200):
    """Liste les fiches du périmètre que leur source ne liste plus, les plus anciennes d'abord."""
    from carto.community.moderation import paris_time
    from carto.importers import conflicts
    _list_queue(user, conflicts.count_missing, lambda *read: conflicts.missing_in_scope(*read, limit=limit),
                lambda s: (f"fiche {s.id} « {s.name} » ({s.commune_name or '?'}) — source {s.source} "
                           f"— absente depuis l'import du {paris_time(s.missing_from_source_at)}"),
                "{} fiche(s) absente(s) de leur source dans le périmètre")


@missing_app.command("resolve")
def missing_resolve(ids: Ids, user: Account,
                    archive: Annotated[bool, typer.Option("--archive/--keep", help="Archiver, ou garder publiée")]):
    """Décide des fiches données : --archive les archive, --keep les garde (plus signalées)."""
    from carto.importers import conflicts
    _resolve_queue(user, ids, lambda *decision: conflicts.decide_missing(*decision, archive),
                   "fiche archivée" if archive else "fiche gardée")


def _report(results) -> None:
    for r in results:
        typer.secho(f"n° {r.id} : {r.message}", fg=None if r.ok else "red", err=not r.ok)
    if not all(r.ok for r in results):
        raise typer.Exit(code=1)


ExportValues = Annotated[list[str] | None, typer.Option(help="Répétable, ou valeurs séparées par des virgules")]


@app.command("export")
def export_cmd(
        output: Annotated[Path, typer.Argument(help="Fichier à écrire")],
        format: Annotated[str | None, typer.Option("--format", "-f", help="geojson, csv, xlsx ou gpkg "
                                                   "(par défaut : l'extension du fichier)")] = None,
        separator: Annotated[str, typer.Option(help="Séparateur CSV : « , » ou « ; » (décimales à virgule)")] = ",",
        territory: Annotated[str | None, typer.Option(help="Commune, EPCI, pays, département ou pôle (nom ou code)")] = None,
        zone: Annotated[str | None, typer.Option(help="Territoire exact niveau:code, ex. epci:243500139")] = None,
        around: Annotated[str | None, typer.Option(help="Commune au centre du rayon")] = None,
        near: Annotated[str | None, typer.Option(help="Point au centre du rayon : lon,lat")] = None,
        radius_km: Annotated[str | None, typer.Option(help="Rayon en km autour de --around ou --near")] = None,
        activity: ExportValues = None, domain: ExportValues = None,
        legal_form: Annotated[list[str] | None, typer.Option(help="association, cooperative, mutuelle, fondation, esus, autre")] = None,
        reserved: Annotated[list[str] | None, typer.Option(help="Marchés réservés : siae, ea")] = None,
        reserved_verified: Annotated[str | None, typer.Option(
            help="true : statuts SIAE, EA ou ESAT vérifiés seulement (un statut déclaré n'en est pas)")] = None,
        public: Annotated[list[str] | None, typer.Option(help="particuliers, professionnels")] = None,
        label: Annotated[list[str] | None, typer.Option(help="Réseau ou label (répétable)")] = None,
        q: Annotated[str | None, typer.Option(help="Mots-clés")] = None,
        ess: Annotated[str | None, typer.Option(help="Structures de l'ESS : true, false ou all (toutes, par défaut)")] = None,
        sort: Annotated[str | None, typer.Option(help="nom, commune, distance, forme, verifie (- : décroissant)")] = None):
    """Exporte les sites publiés (tous, ou ceux d'une recherche) en GeoJSON, CSV, XLSX ou GeoPackage, avec licence et crédits."""
    from carto.publish import exports, table_schema
    from carto.query import params, sourcing
    fmt = (format or output.suffix.lstrip(".")).lower()
    if fmt not in exports.FORMATS:
        raise _fail(ValueError(f"--format : « {fmt} » inconnu (valeurs : {', '.join(exports.FORMATS)})"))
    if separator not in exports.SEPARATORS:
        raise _fail(ValueError("--separator : « , » ou « ; » attendu"))
    service = _service()
    with service.session() as session:
        try:
            criteria = sourcing.parse(service, session, territory=territory, zone=zone, around=around, near=near,
                                      radius_km=radius_km, activity=activity, domain=domain,
                                      legal_form=legal_form, reserved=reserved, public=public, label=label,
                                      q=q, sort=sort, ess=ess, reserved_verified=reserved_verified)
        except params.ParamError as e:
            choices = "".join(f"\n  {p.label} : --zone {p.key}" for p in e.choices)
            raise _fail(ValueError(f"--{e.param.replace('_', '-')} : {e}{choices}")) from None
        results = sourcing.run(session, criteria, sources=True)
        t = exports.table(session, service.taxonomy, results, service.settings.public_base_url)
        package = None
        try:
            exports.write(t, fmt, output, separator)
            if fmt == "csv":  # its credits, licences and schema, beside it
                package = table_schema.write_datapackage(t, service.taxonomy, service.settings.public_base_url,
                                                         output, separator)
        except OSError as e:
            raise _fail(e) from None
    typer.echo(f"{results.total} site{'s' if results.total > 1 else ''} exporté{'s' if results.total > 1 else ''} "
               f"dans {output} ({fmt})" + (f", décrit par {package}" if package else ""))


# --- Database schema (migrations) ----------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Révision visée")] = "head"):
    """Met le schéma de la base à jour (ou à REVISION) ; crée une base neuve. À lancer après chaque mise à jour du code."""
    engine = engine_for(get_settings())
    try:
        before, after = migrate.upgrade(engine, revision)
    except NOT_READY as e:
        raise _fail(e) from None
    finally:
        engine.dispose()
    typer.echo(f"Schéma à jour : révision {after}" if before == after
               else f"Schéma mis à jour : {before or 'base vide'} → {after}")


@db_app.command("current")
def db_current():
    """Affiche la révision du schéma de la base et celle qu'attend ce code."""
    engine = engine_for(get_settings())
    with engine.connect() as conn:
        revision = migrate.current(conn)
    engine.dispose()
    state = "à jour" if revision == migrate.head() else "à mettre à jour : carto db upgrade"
    typer.echo(f"Base : {revision or 'aucune révision'} ; code : {migrate.head()} ({state})")


@db_app.command("check")
def db_check(repair: Annotated[bool, typer.Option("--repair", help="Réécrire les copies qui diffèrent")] = False):
    """Recalcule les copies dérivées de chaque site (territoires, texte de recherche, JSON publié, liens
    d'activités, index de texte), les mailles de la carte et les comptes par territoire et par label,
    et signale chaque différence (code de sortie 1) ; --repair les réécrit."""
    from carto.directory import consistency
    service = _service()
    with session_scope(service.engine) as session:
        report = consistency.check(session, repair=repair)
    found = [*report.differences, *report.cells, *report.tallies]
    for d in found[:CHECK_SHOWN]:
        typer.echo(d.describe())
    if len(found) > CHECK_SHOWN:
        typer.echo(f"… et {len(found) - CHECK_SHOWN} autres différences")
    wrong = len({d.site_id for d in report.differences})
    typer.echo(f"{report.sites} sites vérifiés ; {len(report.differences)} différence(s) sur {wrong} site(s)"
               + (f" ; {report.repaired} site(s) réparé(s)" if repair else ""))
    typer.echo(f"mailles de la carte : {len(report.cells)} différence(s)"
               + (" ; toutes recomptées" if report.cells_rebuilt else ""))
    typer.echo(f"comptes par territoire et par label : {len(report.tallies)} différence(s)"
               + (" ; tous recomptés" if report.tallies_rebuilt else ""))
    if found and not repair:
        raise typer.Exit(code=1)


CHECK_SHOWN = 50  # differences printed one by one; the rest are counted


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Option("--message", "-m", help="Ce qui change, en une ligne")]):
    """(Développement) Écrit une nouvelle migration d'après les différences entre carto/models.py et le schéma actuel."""
    path = migrate.revision(message)
    typer.echo(f"Migration écrite : {path}\nRelisez-la (valeurs par défaut des colonnes NOT NULL, données) avant de la committer.")


# --- Contributors' personal data ------------------------------------------------------------------

contributors_app = typer.Typer(help="Contributeurs : leurs données personnelles.", no_args_is_help=True)
app.add_typer(contributors_app, name="contributors")


@contributors_app.command("purge")
def contributors_purge(email: Annotated[str, typer.Argument(help="E-mail du contributeur")],
                       yes: Annotated[bool, typer.Option("--yes", help="Ne pas demander de confirmation")] = False):
    """Efface les données personnelles d'un contributeur (nom, e-mail, liens de suivi, e-mails envoyés) ;
    garde les décisions de modération et l'historique des fiches."""
    from carto.community import privacy, users
    if not yes:
        typer.confirm(f"Effacer définitivement les données personnelles de {email} ?", abort=True)
    try:
        done = privacy.purge(_service(), email)
    except users.UserError as e:
        raise _fail(e) from None
    typer.echo(f"Propositions anonymisées : {done.contributions} ; e-mails effacés : {done.mails} "
               f"(+ {done.outbox_files} fichier(s) de la boîte d'envoi)")
