"""SiteCell at every other zoom up to 10 (carto.storage.cells.LEVELS): counted again

Keeping every zoom up to 12 cost the write path 3.4 s per batch of 5,000 sites on PostgreSQL; the
cells of the levels now kept are counted again by the write path's own function.

Revision ID: 0018
Revises: 0017
"""
from alembic import op
from sqlmodel import Session

from carto.storage import cells

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    cells.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    """The former code counts every zoom up to 12: its cells are counted again by a repair."""
