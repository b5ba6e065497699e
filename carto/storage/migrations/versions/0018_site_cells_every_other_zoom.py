"""SiteCell at every other zoom up to 10 (carto.storage.cells.LEVELS): counted again

Keeping every zoom up to 12 cost the write path 3.4 s per batch of 5,000 sites on PostgreSQL; the
cells of the levels now kept are counted again by revision 0022, with the write path's own function.

Revision ID: 0018
Revises: 0017
"""

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Counted again by revision 0022: the write path's function writes the columns of the newest table."""


def downgrade() -> None:
    """The former code counts every zoom up to 12: its cells are counted again by a repair."""
