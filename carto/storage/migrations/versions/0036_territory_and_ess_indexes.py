"""The ESS flag's index holds only the sites outside the ESS; each territory's index its sites' keys

``ix_site_ess`` indexed a flag that most sites hold: SQLite, without statistics, read every ESS
structure through it to find the ESS ones of an EPCI, a commune or a pôle (the map's default
filter), instead of the territory's own index. The sites outside the ESS, few, keep a partial index
by status, as the reserved-contract flags (``models.flag_index``); an ESS site's write costs one
index less.

The indexes of a site's commune, EPCI and pays hold, as a département's (``ix_site_departement``),
the status, sort key, id and what the supplier search groups (ESS flag, activities, credit, source):
at 1,000,000 sites an EPCI's grouped pass and its pages' keys read its sites' rows, scattered over
the table (7,657 sites on 7,531 pages: 43 and 55 ms), where this index alone takes 3.9 and 4.0 ms. A
pôle is read as its communes.

Revision ID: 0036
Revises: 0035
"""
import sqlalchemy as sa
from alembic import op


revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


LEVELS = ('commune', 'epci', 'pays')
KEYS = ['status', 'sort_name', 'id', 'ess', 'activity_slugs', 'credit', 'source']


def upgrade() -> None:
    op.drop_index('ix_site_ess', table_name='site')
    op.create_index('ix_site_not_ess', 'site', ['status'], unique=False,
                    sqlite_where=sa.text('ess = 0'), postgresql_where=sa.text('NOT ess'))
    for level in LEVELS:
        op.drop_index(f'ix_site_{level}_code', table_name='site')
        op.create_index(f'ix_site_{level}', 'site', [f'{level}_code', *KEYS], unique=False)


def downgrade() -> None:
    for level in LEVELS:
        op.drop_index(f'ix_site_{level}', table_name='site')
        op.create_index(f'ix_site_{level}_code', 'site', [f'{level}_code'], unique=False)
    op.drop_index('ix_site_not_ess', table_name='site')
    op.create_index('ix_site_ess', 'site', ['ess'], unique=False)
