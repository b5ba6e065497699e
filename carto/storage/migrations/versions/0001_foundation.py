"""Foundation: territories, pôles, sites and their history (the schema of the first release)

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('commune',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('nom', sa.String(), nullable=False),
    sa.Column('dep', sa.String(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('codes_postaux', sa.String(), nullable=False),
    sa.Column('epci_code', sa.String(), nullable=True),
    sa.Column('pays_code', sa.String(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('geometry', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('commune', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commune_dep'), ['dep'], unique=False)
        batch_op.create_index(batch_op.f('ix_commune_epci_code'), ['epci_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_commune_pays_code'), ['pays_code'], unique=False)

    op.create_table('pole',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('nom', sa.String(), nullable=False),
    sa.Column('departements', sa.String(), nullable=False),
    sa.Column('email', sa.String(), nullable=True),
    sa.Column('phone', sa.String(), nullable=True),
    sa.Column('website', sa.String(), nullable=True),
    sa.Column('address', sa.String(), nullable=True),
    sa.Column('source', sa.String(), nullable=True),
    sa.Column('coverage_pays', sa.JSON(), nullable=True),
    sa.Column('coverage_geojson', sa.Text(), nullable=True),
    sa.Column('geometry', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('street', sa.String(), nullable=False),
    sa.Column('postcode', sa.String(), nullable=False),
    sa.Column('commune_code', sa.String(), nullable=True),
    sa.Column('epci_code', sa.String(), nullable=True),
    sa.Column('pays_code', sa.String(), nullable=True),
    sa.Column('dep_code', sa.String(), nullable=True),
    sa.Column('commune_name', sa.String(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=True),
    sa.Column('outside_territory', sa.Boolean(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('position_precision', sa.Enum('address', 'commune', name='positionprecision'), nullable=False),
    sa.Column('website', sa.String(), nullable=True),
    sa.Column('email', sa.String(), nullable=True),
    sa.Column('phone', sa.String(), nullable=True),
    sa.Column('opening_hours', sa.String(), nullable=True),
    sa.Column('siret', sa.String(length=14), nullable=True),
    sa.Column('legal_form', sa.Enum('association', 'cooperative', 'mutuelle', 'fondation', 'esus', 'autre', name='legalform'), nullable=True),
    sa.Column('siae', sa.Boolean(), nullable=False),
    sa.Column('ea_esat', sa.Boolean(), nullable=False),
    sa.Column('serves_individuals', sa.Boolean(), nullable=False),
    sa.Column('serves_professionals', sa.Boolean(), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=True),
    sa.Column('status', sa.Enum('published', 'pending', 'refused', 'archived', name='sitestatus'), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(), nullable=True),
    sa.Column('source_key', sa.String(), nullable=True),
    sa.Column('credit', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verified_at', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'source_key', name='uq_site_source_key')
    )
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_dep_code'), ['dep_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_ea_esat'), ['ea_esat'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_epci_code'), ['epci_code'], unique=False)
        batch_op.create_index('ix_site_lon_lat', ['lon', 'lat'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_pays_code'), ['pays_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_siae'), ['siae'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_siret'), ['siret'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_status'), ['status'], unique=False)

    op.create_table('territory',
    sa.Column('level', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('nom', sa.String(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('n_communes', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=True),
    sa.Column('geometry', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('level', 'code')
    )
    op.create_table('polecommune',
    sa.Column('pole_id', sa.String(), nullable=False),
    sa.Column('commune_code', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['pole_id'], ['pole.id'], ),
    sa.PrimaryKeyConstraint('pole_id', 'commune_code')
    )
    with op.batch_alter_table('polecommune', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_polecommune_commune_code'), ['commune_code'], unique=False)

    op.create_table('siteactivity',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('activity', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('site_id', 'activity')
    )
    with op.batch_alter_table('siteactivity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_siteactivity_activity'), ['activity'], unique=False)

    op.create_table('siteversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.Column('contribution_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('siteversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_siteversion_site_id'), ['site_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('siteversion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_siteversion_site_id'))

    op.drop_table('siteversion')
    with op.batch_alter_table('siteactivity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_siteactivity_activity'))

    op.drop_table('siteactivity')
    with op.batch_alter_table('polecommune', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_polecommune_commune_code'))

    op.drop_table('polecommune')
    op.drop_table('territory')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_status'))
        batch_op.drop_index(batch_op.f('ix_site_siret'))
        batch_op.drop_index(batch_op.f('ix_site_siae'))
        batch_op.drop_index(batch_op.f('ix_site_pays_code'))
        batch_op.drop_index('ix_site_lon_lat')
        batch_op.drop_index(batch_op.f('ix_site_epci_code'))
        batch_op.drop_index(batch_op.f('ix_site_ea_esat'))
        batch_op.drop_index(batch_op.f('ix_site_dep_code'))
        batch_op.drop_index(batch_op.f('ix_site_commune_code'))

    op.drop_table('site')
    op.drop_table('pole')
    with op.batch_alter_table('commune', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commune_pays_code'))
        batch_op.drop_index(batch_op.f('ix_commune_epci_code'))
        batch_op.drop_index(batch_op.f('ix_commune_dep'))

    op.drop_table('commune')
    _drop_enum_types('positionprecision', 'legalform', 'sitestatus')


def _drop_enum_types(*names: str) -> None:
    """PostgreSQL keeps the enum types of dropped tables."""
    if op.get_bind().dialect.name == "postgresql":
        for name in names:
            op.execute(f"DROP TYPE IF EXISTS {name}")
