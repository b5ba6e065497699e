"""Site.siae_verification, Site.ea_esat_verification: reserved-contract statuses declared or verified

The SIAE and EA/ESAT flags were whatever a contributor ticked: they stay, as declared statuses,
and none is verified (both columns start empty: only a moderator's act or the import of a trusted
register verifies, see carto.directory.reserved_status). Every site's stored JSON is written again,
now with the public fields of its statuses (siae_status…).

Revision ID: 0026
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa

from carto.directory import site_json


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('siae_verification', sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column('ea_esat_verification', sa.JSON(none_as_null=True), nullable=True))
    site_json.refill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('ea_esat_verification')
        batch_op.drop_column('siae_verification')
