"""Accounts, contributions and moderation, mail outbox, imports; Site.ess and Site.missing_from_source_at

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('importrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('format', sa.String(), nullable=False),
    sa.Column('filename', sa.String(), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.Column('status', sa.Enum('running', 'finished', 'failed', name='importrunstatus'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('missing', sa.Integer(), nullable=False),
    sa.Column('conflicts', sa.Integer(), nullable=False),
    sa.Column('skipped_by_reason', sa.JSON(), nullable=True),
    sa.Column('error', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('importrun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importrun_source'), ['source'], unique=False)

    op.create_table('outgoingmail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outgoingmail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outgoingmail_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoingmail_sent_at'), ['sent_at'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.Enum('admin', 'moderator', name='userrole'), nullable=False),
    sa.Column('password_hash', sa.String(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_email'), ['email'], unique=True)

    op.create_table('contribution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('new_site', 'change', 'report', name='contributionkind'), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'refused', 'merged', 'archived', 'corrected', 'dismissed', name='contributionstatus'), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Enum('closed', 'wrong', 'duplicate', 'off_charter', name='reportreason'), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('duplicates', sa.JSON(), nullable=True),
    sa.Column('likely_duplicate', sa.Boolean(), nullable=False),
    sa.Column('contributor_name', sa.String(length=120), nullable=False),
    sa.Column('contributor_email', sa.String(length=254), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('merged_into', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['merged_into'], ['site.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contribution_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_likely_duplicate'), ['likely_duplicate'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contribution_status'), ['status'], unique=False)

    op.create_table('importconflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('field', sa.String(), nullable=False),
    sa.Column('current', sa.JSON(), nullable=True),
    sa.Column('incoming', sa.JSON(), nullable=True),
    sa.Column('status', sa.Enum('open', 'applied', 'kept', 'superseded', name='importconflictstatus'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('importconflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importconflict_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_importconflict_status'), ['status'], unique=False)

    op.create_table('importstate',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('site_version', sa.Integer(), nullable=False),
    sa.Column('overrides', sa.JSON(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('site_id')
    )
    op.create_table('loginsession',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('loginsession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loginsession_user_id'), ['user_id'], unique=False)

    op.create_table('userdomain',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'domain')
    )
    op.create_table('userpole',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('pole_id', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['pole_id'], ['pole.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'pole_id')
    )
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ess', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('missing_from_source_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_site_ess'), ['ess'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_ess'))
        batch_op.drop_column('missing_from_source_at')
        batch_op.drop_column('ess')

    op.drop_table('userpole')
    op.drop_table('userdomain')
    with op.batch_alter_table('loginsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loginsession_user_id'))

    op.drop_table('loginsession')
    op.drop_table('importstate')
    with op.batch_alter_table('importconflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importconflict_status'))
        batch_op.drop_index(batch_op.f('ix_importconflict_site_id'))

    op.drop_table('importconflict')
    with op.batch_alter_table('contribution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contribution_status'))
        batch_op.drop_index(batch_op.f('ix_contribution_site_id'))
        batch_op.drop_index(batch_op.f('ix_contribution_likely_duplicate'))
        batch_op.drop_index(batch_op.f('ix_contribution_kind'))
        batch_op.drop_index(batch_op.f('ix_contribution_created_at'))

    op.drop_table('contribution')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_email'))

    op.drop_table('user')
    with op.batch_alter_table('outgoingmail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoingmail_sent_at'))
        batch_op.drop_index(batch_op.f('ix_outgoingmail_created_at'))

    op.drop_table('outgoingmail')
    with op.batch_alter_table('importrun', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importrun_source'))

    op.drop_table('importrun')
    _drop_enum_types('importrunstatus', 'userrole', 'contributionkind', 'contributionstatus', 'reportreason', 'importconflictstatus')


def _drop_enum_types(*names: str) -> None:
    """PostgreSQL keeps the enum types of dropped tables."""
    if op.get_bind().dialect.name == "postgresql":
        for name in names:
            op.execute(f"DROP TYPE IF EXISTS {name}")
