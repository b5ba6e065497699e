"""Administrators' import page: upload a file (LVAO, CSV, GeoJSON, GoGoCarto), get the report.

Thin: the file goes to ``carto.importers.run_import`` as a stream (never read whole) and the
report is shown as the command line shows it (``carto.importers.summary``).
"""
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from sqlmodel import func, select
from starlette.datastructures import UploadFile

from carto.api.deps import ServiceDep
from carto.api.security import CheckedForm, PageAdmin, render
from carto.importers import FORMATS, ImportFileError, conflicts, interrupted, run_import, summary
from carto.storage.models import ImportRun

router = APIRouter(include_in_schema=False)
FORMAT_LABELS = {"lvao": "Longue vie aux objets (ADEME, CSV)", "csv": "CSV avec correspondance de colonnes",
                 "geojson": "GeoJSON avec correspondance de propriétés",
                 "gogocarto": "Export GoGoCarto (elements.json, Carteco)"}
RECENT_RUNS = 20
STATUS_LABELS = {"running": "en cours", "finished": "terminé", "failed": "échoué"}


def _page(request: Request, service, status_code: int = 200, **context):
    with service.session() as session:
        runs = session.exec(select(ImportRun).order_by(ImportRun.id.desc()).limit(RECENT_RUNS)).all()
        open_conflicts = len(conflicts.open_conflicts(session))
        missing = session.exec(select(func.count()).select_from(conflicts.missing_query().subquery())).one()
    context = {"report": None, "error": None, "form": {}} | context
    status_of = {run.id: interrupted.LABEL if interrupted.is_interrupted(run)
                 else STATUS_LABELS[run.status.value] for run in runs}
    return render(request, "moderation/imports.html", status_code, formats=FORMAT_LABELS, runs=runs,
                  status_of=status_of, open_conflicts=open_conflicts, missing=missing, **context)


@router.get("/moderation/imports")
def imports_page(request: Request, service: ServiceDep, _me: PageAdmin):
    return _page(request, service)


@router.post("/moderation/imports")
def upload(request: Request, service: ServiceDep, me: PageAdmin, form: CheckedForm):
    fmt, source = str(form.get("format") or ""), str(form.get("source") or "").strip()[:80] or None
    data, mapping = form.get("file"), form.get("mapping")
    kept = {"format": fmt, "source": source or "", "dry_run": bool(form.get("dry_run"))}
    if fmt not in FORMATS:
        return _page(request, service, 422, error="Choisissez le format du fichier.", form=kept)
    if not isinstance(data, UploadFile) or not data.filename:
        return _page(request, service, 422, error="Choisissez le fichier à importer.", form=kept)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            mapping_path = _saved(mapping, Path(tmp) / "correspondance.yaml")
            report = run_import(service, data.file, fmt, mapping=mapping_path, source=source,
                                dry_run=kept["dry_run"], actor=f"user:{me.user.id}", filename=data.filename)
    except ImportFileError as e:
        return _page(request, service, 422, error=f"Import impossible : {e}", form=kept)
    return _page(request, service, report=report, counts=summary.counts(report),
                 skipped=summary.skipped_groups(report, limit=50), warnings=report.warnings[:50], form=kept)


def _saved(upload, path: Path) -> Path | None:
    """An uploaded mapping file as a path (mappings are small YAML files)."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    path.write_bytes(upload.file.read(1_000_000))
    return path
