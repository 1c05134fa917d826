"""alerts and challenges

Revision ID: a42fb472df64
Revises: 5d1c2e7a9b30
Create Date: 2026-12-04 18:46:55.962339

Issue 16: milestone evaluations and their transitions (alert_state, alert), subscriptions and
the delivery log, signalements (challenge) and their workflow steps. New tables only: a
database at the previous revision upgrades in place on both backends.
"""

import sqlalchemy as sa
from alembic import op


revision = 'a42fb472df64'
down_revision = "5d1c2e7a9b30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target_kind', sa.String(length=24), nullable=False),
    sa.Column('target_ref', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('commune_insee', sa.String(length=5), nullable=True),
    sa.Column('operator_code', sa.String(length=16), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('email_consent', sa.Boolean(), nullable=False),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('evidence_name', sa.String(length=255), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('shown_value', sa.String(length=64), nullable=True),
    sa.Column('shown_as_of', sa.Date(), nullable=True),
    sa.Column('shown_batch_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=True),
    sa.Column('address_hash', sa.String(length=64), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolution_batch_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_challenge_token_sha256'))
    )
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_address_hash'), ['address_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_commune_insee'), ['commune_insee'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_operator_code'), ['operator_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_status'), ['status'], unique=False)

    op.create_table('alert_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=512), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=True),
    sa.Column('operator_code', sa.String(length=16), nullable=True),
    sa.Column('commune_insee', sa.String(length=5), nullable=True),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_alert_subscription_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_subscription'))
    )
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_subscription_user_id'), ['user_id'], unique=False)

    op.create_table('challenge_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_challenge_step_challenge_id_challenge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_step'))
    )
    with op.batch_alter_table('challenge_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_step_challenge_id'), ['challenge_id'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.String(length=128), nullable=False),
    sa.Column('operator_code', sa.String(length=16), nullable=False),
    sa.Column('commune_insee', sa.String(length=5), nullable=True),
    sa.Column('metric', sa.String(length=48), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('before_status', sa.String(length=16), nullable=True),
    sa.Column('after_status', sa.String(length=16), nullable=False),
    sa.Column('warning_days', sa.Integer(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('trigger_batch_id', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_alert_milestone_id_milestone'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_commune_insee'), ['commune_insee'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_operator_code'), ['operator_code'], unique=False)

    op.create_table('alert_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('warning_days', sa.Integer(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('evaluated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_alert_state_milestone_id_milestone'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_state')),
    sa.UniqueConstraint('milestone_id', name=op.f('uq_alert_state_milestone_id'))
    )
    op.create_table('alert_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('response', sa.String(length=256), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_delivery_alert_id_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['alert_subscription.id'], name=op.f('fk_alert_delivery_subscription_id_alert_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_delivery'))
    )
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_delivery_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_delivery_subscription_id'), ['subscription_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_delivery_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_alert_delivery_alert_id'))

    op.drop_table('alert_delivery')
    op.drop_table('alert_state')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_operator_code'))
        batch_op.drop_index(batch_op.f('ix_alert_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_alert_created_at'))
        batch_op.drop_index(batch_op.f('ix_alert_commune_insee'))

    op.drop_table('alert')
    with op.batch_alter_table('challenge_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_step_challenge_id'))

    op.drop_table('challenge_step')
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_subscription_user_id'))

    op.drop_table('alert_subscription')
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_status'))
        batch_op.drop_index(batch_op.f('ix_challenge_operator_code'))
        batch_op.drop_index(batch_op.f('ix_challenge_created_at'))
        batch_op.drop_index(batch_op.f('ix_challenge_commune_insee'))
        batch_op.drop_index(batch_op.f('ix_challenge_address_hash'))

    op.drop_table('challenge')
