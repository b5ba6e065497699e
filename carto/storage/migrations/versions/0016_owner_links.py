"""Owner links: OwnerLink, OwnerPublishing, Contribution.verified_owner, and the « withdrawn » status

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ownerlink',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('site_id', sa.Integer(), nullable=False),
                    sa.Column('email', sa.String(length=254), nullable=False),
                    sa.Column('token_hash', sa.String(length=64), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['site_id'], ['site.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('token_hash'))
    op.create_index('ix_ownerlink_site_id', 'ownerlink', ['site_id'], unique=False)
    op.create_table('ownerpublishing',
                    sa.Column('domain', sa.String(), nullable=False),
                    sa.Column('enabled_by', sa.Integer(), nullable=False),
                    sa.Column('enabled_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['enabled_by'], ['user.id']),
                    sa.PrimaryKeyConstraint('domain'))
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_owner', sa.Boolean(), server_default=sa.false(), nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TYPE contributionstatus ADD VALUE IF NOT EXISTS 'withdrawn'")


def downgrade() -> None:
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.drop_column('verified_owner')
    op.drop_table('ownerpublishing')
    op.drop_index('ix_ownerlink_site_id', table_name='ownerlink')
    op.drop_table('ownerlink')
