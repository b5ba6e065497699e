"""Writes requirements.lock: the exact version of every package the project pulls in (its
dependencies, the `test` and `postgres` extras, and theirs), as installed in this environment.

The lock holds what the test suite was run against, so it is written from the environment, not
from a fresh resolution. To move to newer releases:

    python3 -m pip install -U -e '.[test,postgres]'   # what a fresh install pulls today
    python3 -m pytest                                  # the suite must pass on it
    python3 scripts/lock.py                            # then commit requirements.lock

Installs then use it as constraints: ``pip install -c requirements.lock -e '.[test]'``.
"""
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ("test", "postgres")
HEADER = """\
# Exact versions of everything `pip install -e '.[test,postgres]'` pulls in, as tested.
# Used as constraints: pip install -c requirements.lock -e '.[test]'
# Written by scripts/lock.py (read it to update); do not edit by hand.
"""


def project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in EXTRAS:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def closure(roots: list[Requirement]) -> dict[str, str]:
    """Installed version of every distribution the requirements reach, by canonical name."""
    pinned: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(r, frozenset()) for r in roots]
    while pending:
        req, parent_extras = pending.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in parent_extras or {""}):
            continue
        key = (canonicalize_name(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{req.name} is required but not installed: pip install -e '.[test,postgres]' first")
        pinned[key[0]] = dist.version
        pending += [(Requirement(line), frozenset(req.extras)) for line in dist.requires or ()]
    return pinned


def main() -> None:
    pinned = closure(project_requirements())
    lines = [f"{name}=={version}" for name, version in sorted(pinned.items())]
    (ROOT / "requirements.lock").write_text(HEADER + "\n".join(lines) + "\n")
    print(f"requirements.lock: {len(lines)} packages")


if __name__ == "__main__":
    main()
