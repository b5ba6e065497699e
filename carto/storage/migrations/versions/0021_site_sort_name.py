"""Site.sort_name: the French sort key of its name, which the name index now orders by

« Écocyclerie », « Œuvre… » and lower-case names sorted after Z on SQLite (byte order) and by the
server's collation on PostgreSQL; the key (carto.core.textnorm.sort_key) orders alike on both.

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa

from carto.core.textnorm import sort_key


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

INDEXED = ['id', 'lon', 'lat', 'marker_json', 'activity_slugs']
CHUNK = 10_000


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.Text(), server_default='', nullable=False))
    conn = op.get_bind()
    site = sa.table('site', sa.column('id', sa.Integer), sa.column('name', sa.String), sa.column('sort_name', sa.Text))
    after = 0
    while rows := conn.execute(sa.select(site.c.id, site.c.name).where(site.c.id > after)
                               .order_by(site.c.id).limit(CHUNK)).all():
        conn.execute(site.update().where(site.c.id == sa.bindparam('site_id')).values(sort_name=sa.bindparam('key')),
                     [{'site_id': i, 'key': sort_key(name)} for i, name in rows])
        after = rows[-1][0]
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_status_name')
        batch_op.create_index('ix_site_status_name', ['status', 'sort_name', *INDEXED], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_status_name')
        batch_op.create_index('ix_site_status_name', ['status', 'name', *INDEXED], unique=False)
        batch_op.drop_column('sort_name')
