"""Site index for pages in name order; SQLite's R*Tree is dropped

Boxes are now ranges on the (status, lon, lat, id) index (see carto.storage.search_index), so the R*Tree
that older SQLite databases kept beside ``site`` is no longer read or written.

Revision ID: 0004
Revises: 0003
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.create_index('ix_site_status_name', ['status', 'name', 'id', 'lon', 'lat'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TABLE IF EXISTS site_rtree')


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_status_name')
    if op.get_bind().dialect.name == 'sqlite':  # what the previous release reads boxes from
        op.execute('CREATE VIRTUAL TABLE IF NOT EXISTS site_rtree USING rtree(id, minx, maxx, miny, maxy)')
        op.execute('INSERT OR REPLACE INTO site_rtree SELECT id, lon, lon, lat, lat FROM site')
