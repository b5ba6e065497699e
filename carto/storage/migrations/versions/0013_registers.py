"""Registers: position precision « street » (BAN), the BAN's match score, Sirene records

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite stores the enum as text
        op.execute("ALTER TYPE positionprecision ADD VALUE IF NOT EXISTS 'street'")
    with op.batch_alter_table('site') as batch:
        batch.add_column(sa.Column('geocode_score', sa.Float(), nullable=True))
    op.create_table(
        'sirenerecord',
        sa.Column('siret', sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('found', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=True),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('legal_form_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('legal_form_label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('naf', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('ess', sa.Boolean(), nullable=True),
        sa.Column('street', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('postcode', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('city', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint('siret'))
    op.create_index(op.f('ix_sirenerecord_checked_at'), 'sirenerecord', ['checked_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sirenerecord_checked_at'), table_name='sirenerecord')
    op.drop_table('sirenerecord')
    with op.batch_alter_table('site') as batch:
        batch.drop_column('geocode_score')
    # PostgreSQL cannot drop an enum value: « street » stays, unused.
