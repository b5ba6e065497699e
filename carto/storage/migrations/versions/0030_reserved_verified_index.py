"""Partial index of the sites holding a verified reserved status, in name order

``reserved_verified=true`` tested every published site's proofs (146 ms at 100,000 sites on
PostgreSQL for a first page holding none).

Revision ID: 0030
Revises: 0029
"""
import sqlalchemy as sa
from alembic import op


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

VERIFIED_ANY = "siae_verification IS NOT NULL OR ea_esat_verification IS NOT NULL"


def upgrade() -> None:
    where = sa.text(VERIFIED_ANY)
    op.create_index('ix_site_reserved_verified', 'site', ['status', 'sort_name', 'id'], unique=False,
                    sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index('ix_site_reserved_verified', table_name='site')
