"""Public properties of sites named in French (carto.directory.public_fields): every stored feature written again

The API's features, OGC items and exports now share one vocabulary (``nom``, ``code_commune``,
``site_web``…); each site's stored feature text (``Site.feature_json``) is rewritten with those names.
No column changes.

Revision ID: 0027
Revises: 0026
"""
from alembic import op

from carto.directory import site_json


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    site_json.refill(op.get_bind())


def downgrade() -> None:
    pass  # the English names are gone from the code: carto db check --repair on the older code rewrites them
