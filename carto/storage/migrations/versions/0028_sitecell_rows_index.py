"""SiteCell index (zoom, activities, cy, cx): the bands of cells along the top and bottom of a view

A view's exact counts add up rings of cells (carto.query.cells); the primary key (zoom, activities,
cx, cy) read the bands along the top and bottom of a view over every row of cells of their width.

Revision ID: 0028
Revises: 0027
"""
from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_sitecell_rows', 'sitecell', ['zoom', 'activities', 'cy', 'cx'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sitecell_rows', table_name='sitecell')
