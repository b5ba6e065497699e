"""Site.activity_slugs, marker_json, feature_json: each site's public JSON, written with it

Pages of the read API put these together instead of building every feature from 31 columns
(see carto.directory.site_json). Existing sites get theirs here, a batch at a time.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

from carto.directory import site_json


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        for name in site_json.COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Text(), server_default='', nullable=False))
    site_json.refill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        for name in site_json.COLUMNS:
            batch_op.drop_column(name)
