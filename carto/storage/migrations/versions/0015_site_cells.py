"""SiteCell: published sites counted per grid cell, zoom and combination of activities

Clusters and counts of a map view read these rows instead of every site of the view
(carto.storage.cells, carto.query.cells). Existing sites are counted by revision 0022, with the
write path's own function.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sitecell',
        sa.Column('zoom', sa.Integer(), nullable=False),
        sa.Column('activities', sa.String(), nullable=False),
        sa.Column('cx', sa.Integer(), nullable=False),
        sa.Column('cy', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('sum_lon', sa.Float(), nullable=False),
        sa.Column('sum_lat', sa.Float(), nullable=False),
        sa.Column('sum_id', sa.BigInteger(), nullable=False),
        sa.Column('min_lon', sa.Float(), nullable=False),
        sa.Column('min_lat', sa.Float(), nullable=False),
        sa.Column('max_lon', sa.Float(), nullable=False),
        sa.Column('max_lat', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('zoom', 'activities', 'cx', 'cy'),
    )
    # Counted by revision 0022: the write path's function writes the columns of the newest table.


def downgrade() -> None:
    op.drop_table('sitecell')
