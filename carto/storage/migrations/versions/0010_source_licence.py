"""SourceLicence: the licence of each import source's records

Sources already imported get the licence their own terms state: the LVAO file of the ADEME is
under the Licence Ouverte. Others stay without one until re-imported
(exports then say the licence is not stated, rather than relabel them).

Revision ID: 0010
Revises: 0009
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

KNOWN = {"lvao": "etalab-2.0"}


def upgrade() -> None:
    table = op.create_table(
        'sourcelicence',
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('licence', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('source'))
    present = {s for (s,) in op.get_bind().execute(sa.text("SELECT DISTINCT source FROM site WHERE source IS NOT NULL"))}
    op.bulk_insert(table, [{"source": s, "licence": lic, "updated_at": datetime.now(timezone.utc)} for s, lic in KNOWN.items()
                           if s in present])


def downgrade() -> None:
    op.drop_table('sourcelicence')
