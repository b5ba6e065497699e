"""ReviewLock: « en cours d'examen », who opened a proposal and since when (a soft lock of ten minutes)

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reviewlock',
                    sa.Column('contribution_id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['contribution_id'], ['contribution.id']),
                    sa.ForeignKeyConstraint(['user_id'], ['user.id']),
                    sa.PrimaryKeyConstraint('contribution_id'))


def downgrade() -> None:
    op.drop_table('reviewlock')
