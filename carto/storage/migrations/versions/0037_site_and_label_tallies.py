"""Published sites counted per territory and per label, kept by the write path (``SiteTally``, ``LabelTally``)

The territory statistics, the pôles' index and the supplier form's label choices counted every
published site on the first read after each write, in each server process (at 1,000,000 sites on
PostGIS: 0.6 s for an EPCI's statistics, 1.5 s for the labels). The write path now keeps those
counts (``carto.storage.tallies``), counted here by its own function: one grouped pass per table.

Revision ID: 0037
Revises: 0036
"""
import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

from carto.storage import tallies

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sitetally',
        sa.Column('level', sa.String(), nullable=False),
        sa.Column('code', sa.String(), nullable=False),
        sa.Column('activities', sa.String(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('level', 'code', 'activities'),
    )
    op.create_table(
        'labeltally',
        sa.Column('label', sa.String(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('label'),
    )
    tallies.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_table('labeltally')
    op.drop_table('sitetally')
