"""SiteWord: the words of each site's name beside its sort key, so that the names holding a frequent
word are read in name order from an index (carto.storage.search_index)

Revision ID: 0024
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa

from carto.storage.search_index import name_words

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

CHUNK = 10_000


def upgrade() -> None:
    op.create_table('siteword',
                    sa.Column('word', sa.String(), nullable=False),
                    sa.Column('sort_name', sa.String(), nullable=False),
                    sa.Column('site_id', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('word', 'sort_name', 'site_id'))
    conn = op.get_bind()
    site = sa.table('site', sa.column('id', sa.Integer), sa.column('search_text', sa.Text),
                    sa.column('sort_name', sa.Text))
    word = sa.table('siteword', sa.column('word', sa.String), sa.column('sort_name', sa.String),
                    sa.column('site_id', sa.Integer))
    after = 0
    while rows := conn.execute(sa.select(site.c.id, site.c.search_text, site.c.sort_name)
                               .where(site.c.id > after).order_by(site.c.id).limit(CHUNK)).all():
        conn.execute(word.insert(), [{'word': w, 'sort_name': sort_name, 'site_id': i}
                                     for i, text, sort_name in rows for w in name_words(text)])
        after = rows[-1][0]
    op.create_index('ix_siteword_site_id', 'siteword', ['site_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_siteword_site_id', table_name='siteword')
    op.drop_table('siteword')
