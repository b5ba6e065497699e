"""Site.ess is public (API, OGC, exports) and true unless the source says otherwise

What was proposed on Carto ESS itself (no source) and the demo sites are ESS structures; imports
keep what their source said (LVAO: false for artisans, shops and collectivités). Every site's
stored JSON is written again, now with its ``ess`` property.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

from carto.directory import site_json


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.alter_column('ess', existing_type=sa.Boolean(), server_default=sa.true())
    op.execute("UPDATE site SET ess = true WHERE source IS NULL OR source = 'demo'")
    site_json.refill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.alter_column('ess', existing_type=sa.Boolean(), server_default=None)
