"""initial schema

Revision ID: b52894f1eed7
Revises: 
Create Date: 2026-11-25 22:08:26.616777
"""

from alembic import op
import geoalchemy2
import sqlalchemy as sa
from geoalchemy2 import Geometry

revision = 'b52894f1eed7'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(length=512), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('imported_by', sa.String(length=128), nullable=True),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_loaded', sa.Integer(), nullable=False),
    sa.Column('rows_skipped', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('stored_path', sa.String(length=1024), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_sha256'), ['sha256'], unique=False)

    op.create_table('operator',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_operator'))
    )
    op.create_table('agreement',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('operator_code', sa.String(length=16), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('source_document', sa.Text(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_agreement_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_code'], ['operator.code'], name=op.f('fk_agreement_operator_code_operator')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement'))
    )
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_operator_code'), ['operator_code'], unique=False)

    op.create_geospatial_table('commune',
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('epci_siren', sa.String(length=9), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('boundary_version', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_commune_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('insee', name=op.f('pk_commune'))
    )
    with op.batch_alter_table('commune', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_commune_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_commune_batch_id'), ['batch_id'], unique=False)

    op.create_table('import_error',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('column', sa.String(length=256), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_error_batch_id_import_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_error'))
    )
    with op.batch_alter_table('import_error', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_error_batch_id'), ['batch_id'], unique=False)

    op.create_geospatial_table('premises_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.String(length=64), nullable=False),
    sa.Column('operator_code', sa.String(length=16), nullable=True),
    sa.Column('insee', sa.String(length=5), nullable=True),
    sa.Column('premises', sa.Integer(), nullable=False),
    sa.Column('premises_estimated', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_date', sa.Date(), nullable=True),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_premises_point_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_premises_point'))
    )
    with op.batch_alter_table('premises_point', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_premises_point_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_premises_point_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_premises_point_commune', ['insee', 'observed_on'], unique=False)

    op.create_geospatial_table('public_work',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=128), nullable=False),
    sa.Column('source_format', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('owner', sa.String(length=256), nullable=True),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=True),
    sa.Column('start_verified', sa.Boolean(), nullable=True),
    sa.Column('end_verified', sa.Boolean(), nullable=True),
    sa.Column('types_of_work', sa.JSON(), nullable=False),
    sa.Column('outside_communes', sa.Boolean(), nullable=False),
    sa.Column('geom', Geometry(srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_public_work_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_work'))
    )
    with op.batch_alter_table('public_work', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_public_work_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_public_work_batch_id'), ['batch_id'], unique=False)

    op.create_geospatial_table('radio_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.String(length=32), nullable=False),
    sa.Column('operator_code', sa.String(length=16), nullable=False),
    sa.Column('operator_name', sa.String(length=128), nullable=True),
    sa.Column('insee', sa.String(length=5), nullable=True),
    sa.Column('systems', sa.JSON(), nullable=False),
    sa.Column('bands', sa.JSON(), nullable=False),
    sa.Column('has_5g', sa.Boolean(), nullable=False),
    sa.Column('in_service_on', sa.Date(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_radio_site_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_radio_site')),
    sa.UniqueConstraint('station_id', 'operator_code', 'batch_id', name=op.f('uq_radio_site_station_id'))
    )
    with op.batch_alter_table('radio_site', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_radio_site_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_radio_site_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_radio_site_insee'), ['insee'], unique=False)
        batch_op.create_index(batch_op.f('ix_radio_site_operator_code'), ['operator_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_radio_site_station_id'), ['station_id'], unique=False)

    op.create_table('agreement_commune',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.String(length=64), nullable=False),
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_commune_agreement_id_agreement')),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_agreement_commune_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['insee'], ['commune.insee'], name=op.f('fk_agreement_commune_insee_commune')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_commune')),
    sa.UniqueConstraint('agreement_id', 'insee', name=op.f('uq_agreement_commune_agreement_id'))
    )
    with op.batch_alter_table('agreement_commune', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_commune_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_commune_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_commune_insee'), ['insee'], unique=False)

    op.create_geospatial_table('commune_boundary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_commune_boundary_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['insee'], ['commune.insee'], name=op.f('fk_commune_boundary_insee_commune')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commune_boundary')),
    sa.UniqueConstraint('insee', 'version', name=op.f('uq_commune_boundary_insee'))
    )
    with op.batch_alter_table('commune_boundary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commune_boundary_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commune_boundary_insee'), ['insee'], unique=False)

    op.create_table('commune_operators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('committed_operators', sa.String(length=128), nullable=False),
    sa.Column('infrastructure_operators', sa.String(length=128), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_commune_operators_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['insee'], ['commune.insee'], name=op.f('fk_commune_operators_insee_commune')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commune_operators')),
    sa.UniqueConstraint('insee', 'as_of', 'batch_id', name=op.f('uq_commune_operators_insee'))
    )
    with op.batch_alter_table('commune_operators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commune_operators_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commune_operators_insee'), ['insee'], unique=False)

    op.create_table('ftth_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('operator_code', sa.String(length=16), nullable=True),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('connectable', sa.Integer(), nullable=False),
    sa.Column('rad', sa.Integer(), nullable=True),
    sa.Column('premises_total', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('source_column', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_ftth_progress_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['insee'], ['commune.insee'], name=op.f('fk_ftth_progress_insee_commune')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ftth_progress')),
    sa.UniqueConstraint('insee', 'operator_code', 'observed_on', 'batch_id', name=op.f('uq_ftth_progress_insee'))
    )
    with op.batch_alter_table('ftth_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ftth_progress_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_ftth_progress_lookup', ['insee', 'observed_on'], unique=False)

    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.String(length=64), nullable=False),
    sa.Column('insee', sa.String(length=5), nullable=True),
    sa.Column('metric', sa.String(length=48), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('rad_cap', sa.Float(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_milestone_agreement_id_agreement')),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_milestone_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['insee'], ['commune.insee'], name=op.f('fk_milestone_insee_commune')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone')),
    sa.UniqueConstraint('agreement_id', 'insee', 'metric', 'due_on', name=op.f('uq_milestone_agreement_id'))
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_insee'), ['insee'], unique=False)

    op.create_table('premises_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('premises', sa.Integer(), nullable=False),
    sa.Column('logements', sa.Integer(), nullable=True),
    sa.Column('etablissements', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_premises_count_batch_id_import_batch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['insee'], ['commune.insee'], name=op.f('fk_premises_count_insee_commune')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_premises_count')),
    sa.UniqueConstraint('insee', 'as_of', 'method', 'batch_id', name=op.f('uq_premises_count_insee'))
    )
    with op.batch_alter_table('premises_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_premises_count_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_premises_count_insee'), ['insee'], unique=False)

    op.create_table('public_work_commune',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('insee', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['insee'], ['commune.insee'], name=op.f('fk_public_work_commune_insee_commune')),
    sa.ForeignKeyConstraint(['work_id'], ['public_work.id'], name=op.f('fk_public_work_commune_work_id_public_work'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_work_commune')),
    sa.UniqueConstraint('work_id', 'insee', name=op.f('uq_public_work_commune_work_id'))
    )
    with op.batch_alter_table('public_work_commune', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_work_commune_insee'), ['insee'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_work_commune_work_id'), ['work_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('public_work_commune', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_work_commune_work_id'))
        batch_op.drop_index(batch_op.f('ix_public_work_commune_insee'))

    op.drop_table('public_work_commune')
    with op.batch_alter_table('premises_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_premises_count_insee'))
        batch_op.drop_index(batch_op.f('ix_premises_count_batch_id'))

    op.drop_table('premises_count')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_insee'))
        batch_op.drop_index(batch_op.f('ix_milestone_batch_id'))
        batch_op.drop_index(batch_op.f('ix_milestone_agreement_id'))

    op.drop_table('milestone')
    with op.batch_alter_table('ftth_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_ftth_progress_lookup')
        batch_op.drop_index(batch_op.f('ix_ftth_progress_batch_id'))

    op.drop_table('ftth_progress')
    with op.batch_alter_table('commune_operators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commune_operators_insee'))
        batch_op.drop_index(batch_op.f('ix_commune_operators_batch_id'))

    op.drop_table('commune_operators')
    with op.batch_alter_table('commune_boundary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commune_boundary_insee'))
        batch_op.drop_index(batch_op.f('ix_commune_boundary_batch_id'))

    op.drop_geospatial_table('commune_boundary')
    with op.batch_alter_table('agreement_commune', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_commune_insee'))
        batch_op.drop_index(batch_op.f('ix_agreement_commune_batch_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_commune_agreement_id'))

    op.drop_table('agreement_commune')
    with op.batch_alter_table('radio_site', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_radio_site_station_id'))
        batch_op.drop_index(batch_op.f('ix_radio_site_operator_code'))
        batch_op.drop_index(batch_op.f('ix_radio_site_insee'))
        batch_op.drop_index(batch_op.f('ix_radio_site_batch_id'))
        batch_op.drop_geospatial_index('idx_radio_site_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('radio_site')
    with op.batch_alter_table('public_work', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_work_batch_id'))
        batch_op.drop_geospatial_index('idx_public_work_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('public_work')
    with op.batch_alter_table('premises_point', schema=None) as batch_op:
        batch_op.drop_index('ix_premises_point_commune')
        batch_op.drop_index(batch_op.f('ix_premises_point_batch_id'))
        batch_op.drop_geospatial_index('idx_premises_point_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('premises_point')
    with op.batch_alter_table('import_error', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_error_batch_id'))

    op.drop_table('import_error')
    with op.batch_alter_table('commune', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commune_batch_id'))
        batch_op.drop_geospatial_index('idx_commune_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('commune')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_operator_code'))
        batch_op.drop_index(batch_op.f('ix_agreement_batch_id'))

    op.drop_table('agreement')
    op.drop_table('operator')
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_sha256'))

    op.drop_table('import_batch')

