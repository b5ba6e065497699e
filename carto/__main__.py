"""``python -m carto``: the ``carto`` command, e.g. from a work tree that is not the installed one."""
from carto.cli import app

app()
