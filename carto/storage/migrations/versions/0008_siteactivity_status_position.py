"""SiteActivity.status, lon, lat: each link holds its site's status and position

An activity filter within a box is then answered from one index of the links (activity, status,
lon, lat, site_id) instead of testing every site of the box; it replaces the index on activity.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COPIED = ('status', 'lon', 'lat')


def upgrade() -> None:
    with op.batch_alter_table('siteactivity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('published', 'pending', 'refused', 'archived',
                                                        name='sitestatus'), nullable=True))
        batch_op.add_column(sa.Column('lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lat', sa.Float(), nullable=True))
    op.execute('UPDATE siteactivity SET (status, lon, lat) = '
               '(SELECT site.status, site.lon, site.lat FROM site WHERE site.id = siteactivity.site_id)')
    with op.batch_alter_table('siteactivity', schema=None) as batch_op:
        for column in COPIED:
            batch_op.alter_column(column, nullable=False)
        batch_op.drop_index('ix_siteactivity_activity')
        batch_op.create_index('ix_siteactivity_activity_status_lon_lat', ['activity', 'status', 'lon', 'lat', 'site_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('siteactivity', schema=None) as batch_op:
        batch_op.drop_index('ix_siteactivity_activity_status_lon_lat')
        batch_op.create_index('ix_siteactivity_activity', ['activity'], unique=False)
        for column in COPIED:
            batch_op.drop_column(column)
