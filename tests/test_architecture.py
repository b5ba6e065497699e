"""The layer rule of ``carto/``: a package imports only from packages before it in ``LAYERS``.

core < storage < territory < directory < query < community < importers < publish < views < api,
and the modules at the top (``carto/app.py``, ``carto/cli.py``, ``carto/__main__.py``) may import
anything. So may the migration scripts (``carto/storage/migrations``): Alembic loads them by path,
nothing imports them, and a data migration fills derived columns with the code that computes them
(``carto.directory.site_json``). Every import statement counts, also those inside functions: a
late import is still a dependency.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "carto"
LAYERS = ("core", "storage", "territory", "directory", "query", "community", "importers",
          "publish", "views", "api")
TOP = len(LAYERS)  # carto/app.py, carto/cli.py: above every package
LOADED_BY_PATH = "carto.storage.migrations"


def layer(module: str) -> int | None:
    """Rank of a dotted module name of ``carto``; None outside the project."""
    parts = module.split(".")
    if parts[0] != "carto":
        return None
    if len(parts) == 1:
        return -1  # the bare package holds only its docstring
    if module == LOADED_BY_PATH or module.startswith(LOADED_BY_PATH + "."):
        return TOP
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else TOP


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = module_name(path).split(".")
    package = name if path.name == "__init__.py" else name[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            # `from carto import storage` imports the package carto.storage
            names = [f"{target}.{a.name}" for a in node.names] if node.module is None or target == "carto" else [target]
            found += [(node.lineno, name) for name in names]
    return found


def violations(path: Path) -> list[str]:
    importer = module_name(path)
    rank = layer(importer)
    return [f"{path.relative_to(PACKAGE.parent)}:{line}: {importer} imports {target}"
            for line, target in imported_modules(path)
            if (target_rank := layer(target)) is not None and target_rank > rank]


def test_the_layers_are_the_packages_of_carto():
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert packages == set(LAYERS)


def test_every_package_says_what_it_holds():
    for name in LAYERS:
        assert ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text())), name


def test_no_package_imports_from_a_later_layer():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50  # the walk did find the code
    broken = [v for path in modules for v in violations(path)]
    assert broken == []


@pytest.mark.parametrize("source, expected", [
    ("from carto.api import deps\n", ["carto.api"]),
    ("from carto import api\n", ["carto.api"]),
    ("import carto.views.icons as icons\n", ["carto.views.icons"]),
    ("def late():\n    from ..views import icons\n", ["carto.views"]),
    ("from .sites import write\n", ["carto.directory.sites"]),
])
def test_the_checker_sees_every_form_of_import(tmp_path, monkeypatch, source, expected):
    fake_root = tmp_path / "carto"
    (fake_root / "directory").mkdir(parents=True)
    module = fake_root / "directory" / "probe.py"
    module.write_text(source)
    monkeypatch.setitem(globals(), "PACKAGE", fake_root)
    assert [name for _, name in imported_modules(module)] == expected


def test_a_migration_may_use_the_domain():
    assert layer("carto.storage.migrations.versions.0006_site_stored_json") > layer("carto.directory.site_json")
    assert layer("carto.storage.models") < layer("carto.directory.site_json")


def test_an_import_from_a_later_layer_is_reported(tmp_path, monkeypatch):
    fake_root = tmp_path / "carto"
    (fake_root / "query").mkdir(parents=True)
    module = fake_root / "query" / "probe.py"
    module.write_text("from carto.core import taxonomy\nfrom carto.views.icons import pin\n")
    monkeypatch.setitem(globals(), "PACKAGE", fake_root)
    assert violations(module) == ["carto/query/probe.py:2: carto.query.probe imports carto.views.icons"]


def test_no_test_file_imports_from_another_or_from_conftest():
    """Helpers shared by tests live in ``tests/helpers.py`` (fakes of outside services and the test
    databases in modules of their own); a test file importing from another ties them together."""
    tests = PACKAGE.parent / "tests"
    found = [f"{path.name}:{line}: {name}" for path in sorted(tests.glob("*.py"))
             for line, name in imported_modules(path)
             if name.startswith(("tests.test_", "tests.conftest"))]
    assert len(list(tests.glob("test_*.py"))) > 40
    assert found == []
