"""The flags' partial indexes hold the status of the sites holding the flag

0031 made ``ix_site_siae`` and ``ix_site_ea_esat`` partial indexes of ids: PostgreSQL read them as
before, but SQLite, without statistics, then preferred a status index for a flag asked with a
status and tested every published site (a supplier search's sources for ``reserved=ea`` at 100,000
sites: 77 → 311 ms). Holding the status, they serve that equality as well as the flag.

Revision ID: 0033
Revises: 0032
"""
import sqlalchemy as sa
from alembic import op


revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

FLAGS = ('siae', 'ea_esat')


def _recreate(column: str) -> None:
    for flag in FLAGS:
        op.drop_index(f'ix_site_{flag}', table_name='site')
        op.create_index(f'ix_site_{flag}', 'site', [column], unique=False,
                        sqlite_where=sa.text(f'{flag} = 1'), postgresql_where=sa.text(flag))


def upgrade() -> None:
    _recreate('status')


def downgrade() -> None:
    _recreate('id')
