"""The ``carto`` command: set up a database, load reference data, serve the site."""
from pathlib import Path
from typing import Annotated

import typer

from carto import backup, bootstrap, poles
from carto.context import Carto
from carto.db import session_scope
from carto.settings import get_settings
from carto.territory_load import TerritoryLoadError

app = typer.Typer(help="Carto ESS : annuaire et carte de l'ESS en Bretagne.", no_args_is_help=True)
territories_app = typer.Typer(help="Communes, EPCI, pays et départements.", no_args_is_help=True)
poles_app = typer.Typer(help="Pôles ESS et zones de couverture.", no_args_is_help=True)
app.add_typer(territories_app, name="territories")
app.add_typer(poles_app, name="poles")

Port = Annotated[int, typer.Option(help="Port HTTP")]
Host = Annotated[str, typer.Option(help="Adresse d'écoute")]


def _carto() -> Carto:
    return Carto.open(get_settings())


def _fail(error: Exception) -> typer.Exit:
    """Bad input (file, table) is the user's to fix: say what is wrong, without a traceback."""
    typer.secho(f"Erreur : {error}", fg="red", err=True)
    return typer.Exit(code=1)


def _say_territories_off(carto: Carto) -> None:
    if not carto.settings.territories_enabled:
        typer.secho("Aucun répertoire de géodonnées (CARTO_GEODATA) : fonctions territoriales désactivées.",
                    fg="yellow", err=True)


@app.command()
def init():
    """Crée la base de données (tables et index) si elle n'existe pas."""
    carto = _carto()
    typer.echo(f"Base prête : {carto.settings.database_url}")
    _say_territories_off(carto)


@app.command()
def serve(port: Port = 8000, host: Host = "127.0.0.1"):
    """Sert la carte et l'API."""
    import uvicorn
    from carto.app import create_app
    carto = _carto()
    _say_territories_off(carto)
    typer.echo(f"Carte : http://{host}:{port}/   API : http://{host}:{port}/docs")
    uvicorn.run(create_app(carto=carto), host=host, port=port)


@app.command()
def demo(port: Port = 8000, host: Host = "127.0.0.1",
         sites: Annotated[int, typer.Option(help="Nombre de sites fictifs")] = 500,
         no_serve: Annotated[bool, typer.Option("--no-serve", help="Préparer la base sans servir")] = False):
    """Crée la base, charge territoires, pôles et sites de démonstration, puis sert la carte."""
    carto = _carto()
    _say_territories_off(carto)
    report = bootstrap.setup_demo(carto, sites)
    if report.territories:
        typer.echo("Territoires chargés : " + ", ".join(f"{v} {k}" for k, v in report.territories.items()))
    typer.echo(f"Pôles ESS : {report.poles} ; sites de démonstration créés : {report.demo_sites}")
    if not no_serve:
        serve(port=port, host=host)


@territories_app.command("load")
def territories_load(path: Annotated[Path, typer.Argument(help="Couche des communes (GeoJSON, GeoPackage, Shapefile…)")]):
    """Charge une couche de communes avec une colonne de code INSEE et construit EPCI, pays, départements."""
    try:
        counts = bootstrap.load_territories(_carto(), path)
    except (TerritoryLoadError, OSError) as e:
        raise _fail(e) from None
    typer.echo(", ".join(f"{v} {k}" for k, v in counts.items()))


@poles_app.command("load")
def poles_load(csv: Annotated[Path, typer.Argument(help="Table des pôles (pole_id, nom, pays_codes…)")]):
    """Crée ou met à jour les pôles ESS et recalcule leurs zones de couverture."""
    try:
        typer.echo(f"{bootstrap.load_poles(_carto(), csv)} pôles")
    except (poles.PoleError, OSError, KeyError) as e:
        raise _fail(e) from None


@poles_app.command("coverage")
def poles_coverage(
    pole_id: Annotated[str, typer.Argument(help="Identifiant du pôle")],
    pays: Annotated[list[str], typer.Option("--pays", help="Code de pays couvert (répétable)")] = [],
    geojson: Annotated[Path | None, typer.Option(help="Zone de couverture (polygone GeoJSON)")] = None,
):
    """Change la zone de couverture d'un pôle : une liste de pays, ou un polygone GeoJSON."""
    carto = _carto()
    try:
        text = geojson.read_text(encoding="utf-8") if geojson else None
        with session_scope(carto.engine) as session:
            poles.set_coverage(session, pole_id, pays=[p.zfill(2) for p in pays], geojson=text)
            communes = len(poles.communes_of(session, pole_id))
    except (poles.PoleError, OSError) as e:
        raise _fail(e) from None
    typer.echo(f"{pole_id} : {communes} communes couvertes")


@app.command("backup")
def backup_cmd(target: Annotated[Path, typer.Argument(help="Fichier de sauvegarde à créer")]):
    """Sauvegarde la base SQLite pendant que le service tourne."""
    try:
        typer.echo(f"Sauvegarde écrite : {backup.backup(_carto().engine, target)}")
    except backup.BackupError as e:
        raise _fail(e) from None


@app.command("restore")
def restore_cmd(source: Annotated[Path, typer.Argument(help="Fichier de sauvegarde")],
                yes: Annotated[bool, typer.Option("--yes", help="Ne pas demander de confirmation")] = False):
    """Remplace tout le contenu de la base par une sauvegarde."""
    if not yes:
        typer.confirm("Remplacer tout le contenu de la base par cette sauvegarde ?", abort=True)
    try:
        backup.restore(_carto().engine, source)
    except backup.BackupError as e:
        raise _fail(e) from None
    typer.echo("Base restaurée.")


@app.command()
def coverage():
    """Couverture des pôles : communes, population et sites ; puis communes non couvertes ou en double."""
    carto = _carto()
    with carto.session() as session:
        report = poles.coverage_report(session)
    typer.echo(f"{'Pôle':<40} {'communes':>8} {'population':>11} {'sites':>6}")
    for s in report.poles:
        typer.echo(f"{s.pole.nom:<40} {s.communes:>8} {s.population:>11} {s.sites:>6}")
    typer.echo(f"\nCommunes couvertes par aucun pôle : {len(report.uncovered)}")
    for c in report.uncovered:
        typer.echo(f"  {c.code} {c.nom} ({c.population} hab.)")
    typer.echo(f"Communes couvertes par plusieurs pôles : {len(report.covered_twice)}")
    for c, pole_ids in report.covered_twice:
        typer.echo(f"  {c.code} {c.nom} : {', '.join(pole_ids)}")
    typer.echo(f"Sites publiés hors de toute zone de pôle : {len(report.sites_outside)}")
    for site in report.sites_outside:
        typer.echo(f"  #{site.id} {site.name} ({site.commune_name or 'hors territoire'})")


@app.command("import")
def import_cmd(
        file: Annotated[Path, typer.Argument(help="Fichier à importer")],
        format: Annotated[str, typer.Option("--format", "-f", help="lvao, csv, geojson ou gogocarto")],
        mapping: Annotated[Path | None, typer.Option(help="Fichier de correspondance (YAML)")] = None,
        source: Annotated[str | None, typer.Option(help="Nom de la source (par défaut celui de la correspondance)")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Tout vérifier sans rien écrire")] = False,
        rapport: Annotated[Path | None, typer.Option(help="CSV de toutes les lignes écartées")] = None):
    """Importe des sites (LVAO, CSV, GeoJSON, GoGoCarto) : crée, met à jour, écarte en disant pourquoi."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
    from carto.importers import ImportFileError, run_import, summary
    carto = _carto()
    _say_territories_off(carto)
    try:
        with file.open("rb") as stream, Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                                 TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task("Import", total=file.stat().st_size)
            report = run_import(carto, stream, format, mapping=mapping, source=source, dry_run=dry_run,
                                actor="cli", filename=file.name,
                                progress=lambda rows: bar.update(task, completed=stream.tell(),
                                                                 description=f"{rows} lignes lues"))
    except (ImportFileError, OSError) as e:
        raise _fail(e) from None
    for line in summary.lines(report):
        typer.echo(line)
    if rapport:
        summary.write_csv(report, rapport)
        typer.echo(f"Rapport complet : {rapport}")
