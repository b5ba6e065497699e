"""Site index for the map's aggregates: (status, lon, lat, id) replaces (lon, lat)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_lon_lat'))
        batch_op.create_index('ix_site_status_lon_lat', ['status', 'lon', 'lat', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_status_lon_lat')
        batch_op.create_index(batch_op.f('ix_site_lon_lat'), ['lon', 'lat'], unique=False)

