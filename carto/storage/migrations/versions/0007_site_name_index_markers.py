"""The name index of sites also holds their markers' stored JSON

Pages of markers in name order (the map's call) then read the index alone, without looking up
each site's row (see carto.storage.models.Site).

Revision ID: 0007
Revises: 0006
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_status_name')
        batch_op.create_index('ix_site_status_name', ['status', 'name', 'id', 'lon', 'lat', 'marker_json',
                                                      'activity_slugs'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_status_name')
        batch_op.create_index('ix_site_status_name', ['status', 'name', 'id', 'lon', 'lat'], unique=False)
