"""The status's own index again

0031 dropped ``ix_site_status`` as the first column of the three (status, …) indexes. But an index
of one column ends with the row's id: SQLite tests « status = ? AND id = ? » in it for each id of
a list (the text index's matches, the name words'), where the composite indexes hold other columns
after the status and can only be walked whole. Without it SQLite read every published site to count
a search for a word found nowhere (« xyzzy » at 100,000 sites: 44 ms of CPU instead of a few). Its
cost to a batch write is small (6 µs of server CPU per site of a 5,000-site COPY on PostgreSQL).

Revision ID: 0034
Revises: 0033
"""
from alembic import op


revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_site_status', 'site', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_site_status', table_name='site')
