"""SiteCell counts ESS structures and the others apart (a key column ``ess``): counted again

The public map shows ESS structures by default (``ess=true``), and its clusters and counts read the
cells, which counted every site: the map said 1,172 sites where its list held 1,170. The cells are
counted again by the write path's own function.

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa
from sqlmodel import Session

from carto.storage import cells

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

SUMS = ('count', 'sum_lon', 'sum_lat', 'sum_id')
BOUNDS = {'min_lon': 'min', 'min_lat': 'min', 'max_lon': 'max', 'max_lat': 'max'}


def _create(name: str, keys: list[str]) -> None:
    flag = [sa.Column('ess', sa.Boolean(), server_default=sa.true(), nullable=False)] if 'ess' in keys else []
    op.create_table(
        name,
        sa.Column('zoom', sa.Integer(), nullable=False),
        sa.Column('activities', sa.String(), nullable=False),
        sa.Column('cx', sa.Integer(), nullable=False),
        sa.Column('cy', sa.Integer(), nullable=False),
        *flag,
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('sum_lon', sa.Float(), nullable=False),
        sa.Column('sum_lat', sa.Float(), nullable=False),
        sa.Column('sum_id', sa.BigInteger(), nullable=False),
        sa.Column('min_lon', sa.Float(), nullable=False),
        sa.Column('min_lat', sa.Float(), nullable=False),
        sa.Column('max_lon', sa.Float(), nullable=False),
        sa.Column('max_lat', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(*keys),
    )


def upgrade() -> None:
    op.drop_table('sitecell')
    _create('sitecell', ['zoom', 'activities', 'cx', 'cy', 'ess'])
    cells.rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    """The rows of both flags added up."""
    keys = ['zoom', 'activities', 'cx', 'cy']
    _create('sitecell_before', keys)
    values = [f'sum({c})' for c in SUMS] + [f'{f}({c})' for c, f in BOUNDS.items()]
    op.execute(f"INSERT INTO sitecell_before SELECT {', '.join(keys + values)} FROM sitecell GROUP BY {', '.join(keys)}")
    op.drop_table('sitecell')
    op.rename_table('sitecell_before', 'sitecell')
