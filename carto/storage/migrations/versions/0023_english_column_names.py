"""Column names in English, as the rest of the schema: Commune.nom → name, dep → dep_code,
codes_postaux → postcodes; Territory.nom → name; Pole.nom → name, departements → dep_codes

Renamed in place: the data stays. What the public reads (API properties, exports, the input files'
columns) keeps its French names; only the code's and the database's names change.

Revision ID: 0023
Revises: 0022
"""
from alembic import op


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

RENAMES = {
    'commune': {'nom': 'name', 'dep': 'dep_code', 'codes_postaux': 'postcodes'},
    'territory': {'nom': 'name'},
    'pole': {'nom': 'name', 'departements': 'dep_codes'},
}


def _rename(renames: dict[str, str], index: tuple[str, str]) -> None:
    with op.batch_alter_table('commune', schema=None) as batch_op:
        batch_op.drop_index(f'ix_commune_{index[0]}')
        for old, new in renames['commune'].items():
            batch_op.alter_column(old, new_column_name=new)
    op.create_index(f'ix_commune_{index[1]}', 'commune', [index[1]], unique=False)
    for table in ('territory', 'pole'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for old, new in renames[table].items():
                batch_op.alter_column(old, new_column_name=new)


def upgrade() -> None:
    _rename(RENAMES, ('dep', 'dep_code'))


def downgrade() -> None:
    _rename({table: {new: old for old, new in columns.items()} for table, columns in RENAMES.items()},
            ('dep_code', 'dep'))
