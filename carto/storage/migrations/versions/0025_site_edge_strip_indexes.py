"""Site indexes for the edge strips of a view: (status, lon, lat, id, ess, activity_slugs) and
(status, lat, lon, id, ess, activity_slugs)

The exact count of a view adds up grid cells and, site by site, four thin strips along its edges
(carto.query.cells). The strips along the north and south edges were read through (status, lon, lat)
over the whole width of the view (at 100,000 sites on SQLite, most of the sites of a region), and
each site's activities and ESS flag (the public map's filters) from the table. Each strip is now read
through the index of its thin side, which holds what it counts.

Revision ID: 0025
Revises: 0024
"""
from alembic import op


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

COLUMNS = ['id', 'ess', 'activity_slugs']


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_status_lon_lat')
        batch_op.create_index('ix_site_status_lon_lat', ['status', 'lon', 'lat', *COLUMNS], unique=False)
        batch_op.create_index('ix_site_status_lat_lon', ['status', 'lat', 'lon', *COLUMNS], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_status_lat_lon')
        batch_op.drop_index('ix_site_status_lon_lat')
        batch_op.create_index('ix_site_status_lon_lat', ['status', 'lon', 'lat', 'id'], unique=False)
