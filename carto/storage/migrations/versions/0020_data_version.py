"""DataVersion: an explicit counter of the public data, instead of a checksum of the tables

Revision ID: 0020
Revises: 0019
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'dataversion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('data', sa.Integer(), nullable=False),
        sa.Column('geography', sa.Integer(), nullable=False),
        sa.Column('epoch', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.bulk_insert(table, [{'id': 1, 'data': 1, 'geography': 1, 'epoch': secrets.token_hex(4)}])


def downgrade() -> None:
    op.drop_table('dataversion')
