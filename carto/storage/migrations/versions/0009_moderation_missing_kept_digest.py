"""Site.missing_kept_at and User.last_digest_at: the import queues and digests of what is new

A site its source no longer lists leaves the moderators' queue once kept (``missing_kept_at``);
a moderator's digest lists only what arrived since the previous one (``last_digest_at``).

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('missing_kept_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_digest_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('last_digest_at')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('missing_kept_at')
