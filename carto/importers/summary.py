"""An import report in words (CLI, upload page) and as a CSV listing every skipped row."""
import csv
from itertools import groupby
from pathlib import Path

from carto.importers.pipeline import ImportReport
from carto.importers.records import REASONS


def counts(report: ImportReport) -> list[tuple[str, int]]:
    return [
        ("créées", report.created),
        ("mises à jour", report.updated),
        ("inchangées", report.unchanged),
        ("écartées", len(report.skipped)),
        ("conflits avec une correction de modérateur", report.conflicts),
        ("absentes du fichier, signalées aux modérateurs", report.missing),
        ("de nouveau présentes dans le fichier", report.reappeared),
        ("statuts SIAE ou EA/ESAT déclarés (non vérifiés)", report.declared),
        ("statuts SIAE ou EA/ESAT vérifiés (registre faisant foi)", report.verified),
    ]


def skipped_groups(report: ImportReport, limit: int = 20) -> list[tuple[str, int, list[str]]]:
    """Per reason (most frequent first): its label, its count and the first rows as « ligne 12 (…) »."""
    ordered = sorted(report.skipped, key=lambda s: (s.reason, s.position))
    by_reason = {reason: list(rows) for reason, rows in groupby(ordered, key=lambda s: s.reason)}
    groups = []
    for reason, count in report.skipped_by_reason().items():
        shown = [f"{report.unit} {s.position}" + (f" : {s.detail}" if s.detail else "")
                 for s in by_reason[reason][:limit]]
        groups.append((REASONS[reason], count, shown))
    return groups


def lines(report: ImportReport, limit: int = 20) -> list[str]:
    head = "Simulation (rien n'a été écrit)" if report.dry_run else "Import"
    read = "lues" if report.unit == "ligne" else "lus"
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    out = [f"{head} « {report.source} » ({report.format}) : {report.rows} {report.unit}s {read} en {seconds} s"]
    out += [f"  {label} : {n}" for label, n in counts(report)]
    for label, count, shown in skipped_groups(report, limit):
        out.append(f"Écartées — {label} : {count}")
        out += [f"  {s}" for s in shown]
        if count > len(shown):
            out.append(f"  … et {count - len(shown)} autres")
    if report.warnings:
        out.append(f"Avertissements (importé sans le champ en cause) : {len(report.warnings)}")
        out += [f"  {report.unit} {position} : {text}" for position, text in report.warnings[:limit]]
        if len(report.warnings) > limit:
            out.append(f"  … et {len(report.warnings) - limit} autres")
    return out


def write_csv(report: ImportReport, path: Path) -> None:
    """Every skipped row and every warning, for a spreadsheet."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["type", report.unit, "identifiant", "raison", "détail"])
        for s in sorted(report.skipped, key=lambda s: s.position):
            writer.writerow(["écartée", s.position, s.key or "", REASONS[s.reason], s.detail])
        for position, text in report.warnings:
            writer.writerow(["avertissement", position, "", "champ ignoré", text])
