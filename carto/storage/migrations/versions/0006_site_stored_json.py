"""Site.activity_slugs, marker_json, feature_json: each site's public JSON, written with it

Pages of the read API put these together instead of building every feature from 31 columns
(see carto.directory.site_json). Existing sites get theirs here, a batch at a time.

Revision ID: 0006
Revises: 0005
"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa

from carto.directory import site_json
from carto.directory.geojson import PUBLIC_FIELDS
from carto.storage.models import Site, SiteActivity


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        for name in site_json.COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Text(), server_default='', nullable=False))
    fill(op.get_bind())


def fill(conn: sa.Connection) -> None:
    """Write the stored JSON of every site, in batches of ids."""
    site, links = Site.__table__, SiteActivity.__table__
    read = [site.c[name] for name in ("id", "lon", "lat", *PUBLIC_FIELDS)]  # typed by the models: enums, dates
    last = 0
    while rows := conn.execute(sa.select(*read).where(site.c.id > last).order_by(site.c.id).limit(BATCH)).mappings().all():
        last = rows[-1]["id"]
        activities = defaultdict(list)
        for site_id, activity in conn.execute(sa.select(links.c.site_id, links.c.activity)
                                              .where(links.c.site_id.in_([r["id"] for r in rows]))):
            activities[site_id].append(activity)
        conn.execute(site.update().where(site.c.id == sa.bindparam("site_id")),
                     [site_json.stored(r, activities[r["id"]]) | {"site_id": r["id"]} for r in rows])


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        for name in site_json.COLUMNS:
            batch_op.drop_column(name)
