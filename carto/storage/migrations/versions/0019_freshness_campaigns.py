"""Freshness campaigns: FreshnessRequest (a structure asked whether its sheet is still right) and
FreshnessOptOut (addresses that want no more of them)

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('freshnessrequest',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('site_id', sa.Integer(), nullable=False),
                    sa.Column('email', sa.String(length=254), nullable=False),
                    sa.Column('token_hash', sa.String(length=64), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('reminders', sa.Integer(), nullable=False),
                    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('outcome', sa.String(), nullable=True),
                    sa.ForeignKeyConstraint(['site_id'], ['site.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('token_hash'))
    op.create_index('ix_freshnessrequest_site_id', 'freshnessrequest', ['site_id'], unique=False)
    op.create_index('ix_freshnessrequest_email', 'freshnessrequest', ['email'], unique=False)
    op.create_table('freshnessoptout',
                    sa.Column('email', sa.String(length=254), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('email'))


def downgrade() -> None:
    op.drop_table('freshnessoptout')
    op.drop_index('ix_freshnessrequest_email', table_name='freshnessrequest')
    op.drop_index('ix_freshnessrequest_site_id', table_name='freshnessrequest')
    op.drop_table('freshnessrequest')
