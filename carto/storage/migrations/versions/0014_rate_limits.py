"""ratecounter, loginthrottle: rate limits shared by every server process

The limits on submissions, sign-ins and mails lived in each process's memory (N processes gave N
times the limit, and a check before the work let simultaneous requests all pass); they are now rows
updated atomically in the database.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ratecounter',
                    sa.Column('key', sa.String(length=400), nullable=False),
                    sa.Column('tat', sa.Float(), nullable=False),
                    sa.PrimaryKeyConstraint('key'))
    op.create_table('loginthrottle',
                    sa.Column('key', sa.String(length=400), nullable=False),
                    sa.Column('failures', sa.Integer(), nullable=False),
                    sa.Column('locked_until', sa.Float(), nullable=False),
                    sa.Column('last_failure', sa.Float(), nullable=False),
                    sa.PrimaryKeyConstraint('key'))


def downgrade() -> None:
    op.drop_table('loginthrottle')
    op.drop_table('ratecounter')
