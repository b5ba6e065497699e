"""Search text in three parts (name, activities, the rest) with stems, activity labels and synonyms

Every site's ``search_text`` is written again by the write path's own function
(``carto.storage.search_index.rebuild``): the activity labels, domain names and synonyms of the
taxonomy, the postcode and street join the folded text, each word followed by its stem. SQLite's
FTS5 table gets one column per part; on PostgreSQL the expression index over the text is replaced by
the stored ``search_vector`` column and its GIN index, made by ``search_index.create`` once the
database is at the newest revision.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
from sqlmodel import Session

from carto.storage import search_index

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TABLE IF EXISTS site_fts")
        conn.exec_driver_sql(search_index.SQLITE_FTS)
    else:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_site_search_vector")  # the expression index
        conn.exec_driver_sql(search_index.PG_COLUMNS["search_vector"])  # written by the rebuild below
    search_index.rebuild(Session(bind=conn), words=False)  # their table comes with revision 0024


def downgrade() -> None:
    """The former single-column index over the text as it stands (the former code finds its words
    in it; its own form returns with the sites' next writes)."""
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TABLE IF EXISTS site_fts")
        conn.exec_driver_sql("CREATE VIRTUAL TABLE site_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")
        conn.exec_driver_sql("INSERT INTO site_fts(rowid, body) SELECT id, search_text FROM site")
    else:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_site_search_vector")  # recreated by the former code
        conn.exec_driver_sql("ALTER TABLE site DROP COLUMN IF EXISTS search_vector")
