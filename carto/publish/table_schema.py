"""The published description of the sites export: a Table Schema (schema.data.gouv.fr style) and,
for each export, a Frictionless Data Package saying where the file is, how it is written, under
which licences and with which credits.

Both are derived from ``carto.directory.public_fields``: one table of fields for the API's
properties, the files and their description.
"""
import json
from datetime import datetime, timezone
from pathlib import Path

from carto.core.taxonomy import Taxonomy
from carto.directory import public_fields
from carto.directory.public_fields import Field
from carto.publish import exports
from carto.publish.exports import Table

SCHEMA_PATH = "/schema/sites.json"
_TYPES = {"str": "string", "code": "string", "list": "string", "int": "integer", "float": "number",
          "bool": "boolean", "date": "date", "datetime": "datetime"}


def _field(column: Field, taxonomy: Taxonomy, decimal: str) -> dict:
    spec = {"name": column.name, "title": column.title, "description": column.description,
            "type": _TYPES[column.kind]}
    if column.format:
        spec["format"] = column.format
    if column.kind == "bool":
        spec |= {"trueValues": [exports.TRUE, "true"], "falseValues": [exports.FALSE, "false"]}
    if column.kind == "float" and decimal != ".":
        spec["decimalChar"] = decimal
    constraints = dict(column.constraints)
    if column.name == "activites":
        constraints["pattern"] = exports.activity_pattern(taxonomy)
        spec["description"] += " : " + ", ".join(taxonomy.activities)
    elif column.name == "domaines":
        constraints["pattern"] = exports.domain_pattern(taxonomy)
    if constraints:
        spec["constraints"] = constraints
    return spec


def schema(taxonomy: Taxonomy, columns: list[Field] | None = None, decimal: str = ".") -> dict:
    """The Table Schema of the sites export (``columns``: those of one export)."""
    return {
        "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
        "name": "carto-ess-bretagne-sites",
        "title": "Sites de l'économie sociale et solidaire en Bretagne (Carto ESS Bretagne)",
        "description": ("Un site par ligne : structure ou lieu de l'ESS, ses activités (réemploi, réparation, "
                        "mobilité durable…), son adresse, ses territoires (commune, EPCI, pays, département), "
                        "ses contacts et la source, le crédit et la licence de la fiche. Listes : valeurs "
                        f"séparées par « {exports.LIST_SEPARATOR.strip()} » ; booléens : oui / non."),
        "homepage": "https://schema.data.gouv.fr/",
        "version": "1.0.0",
        "fields": [_field(c, taxonomy, decimal) for c in columns or public_fields.IN_EXPORT],
        "primaryKey": "id",
        "missingValues": [""],
    }


def datapackage(t: Table, taxonomy: Taxonomy, base_url: str, csv_path: str, sep: str = ",") -> dict:
    """The Data Package of one CSV export, at ``csv_path`` (a URL, or a file name beside it)."""
    base_url = base_url.rstrip("/")
    resource = {"name": "sites", "path": csv_path, "profile": "tabular-data-resource", "title": t.title,
                "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
                "dialect": {"delimiter": sep, "doubleQuote": True, "lineTerminator": "\r\n", "header": True},
                "schema": schema(taxonomy, t.columns, "," if sep == ";" else ".")}
    return {
        "profile": "tabular-data-package",
        "name": f"carto-ess-bretagne-{t.day.isoformat()}",
        "title": t.title,
        "description": "\n".join(t.credits),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "homepage": base_url,
        "licenses": exports.licence_members(t),
        "contributors": [{"title": exports.PUBLISHER, "role": "publisher", "path": base_url}],
        "sources": [{"title": line.removeprefix("Source de fiches : ")} for line in t.credits
                    if line.startswith("Source de fiches : ")] + [{"title": exports.TERRITORY_CREDIT}],
        "resources": [resource],
    }


def write_datapackage(t: Table, taxonomy: Taxonomy, base_url: str, csv_file: Path, sep: str = ",") -> Path:
    """Write the Data Package of the CSV file ``csv_file`` beside it (``<name>.datapackage.json``)."""
    target = csv_file.with_name(f"{csv_file.stem}.datapackage.json")
    package = datapackage(t, taxonomy, base_url, csv_file.name, sep)
    target.write_text(json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8")
    return target
