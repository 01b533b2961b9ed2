"""Initial registry schema: engagements, participants, legal bases, objectives, indicators,
observations, assessments, yearly levels and the audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.String(length=200), nullable=False),
    sa.Column('engagement_id', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_engagement_id', 'audit_log', ['engagement_id'], unique=False)

    op.create_table('engagements',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_dates', sa.Text(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('personnel', sa.BigInteger(), nullable=True),
    sa.Column('cost', sa.Float(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('citations', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('proposed', 'planned', 'ongoing', 'completed', 'cancelled')", name=op.f('ck_engagements_status')),
    sa.CheckConstraint('end_date IS NULL OR start_date IS NULL OR end_date >= start_date', name=op.f('ck_engagements_dates')),
    sa.CheckConstraint('personnel IS NULL OR personnel >= 0', name=op.f('ck_engagements_personnel')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagements'))
    )
    op.create_index('ix_engagements_source', 'engagements', ['source'], unique=False)
    op.create_index('ix_engagements_type', 'engagements', ['type'], unique=False)

    op.create_table('assessments',
    sa.Column('engagement_id', sa.String(length=128), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('author', sa.Text(), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('rating', sa.String(length=30), nullable=True),
    sa.CheckConstraint("kind IN ('initial', 'monitoring', 'evaluation', 'lessons')", name=op.f('ck_assessments_kind')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_assessments_engagement_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('engagement_id', 'position', name=op.f('pk_assessments'))
    )
    op.create_table('legal_bases',
    sa.Column('engagement_id', sa.String(length=128), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('reference', sa.Text(), nullable=True),
    sa.Column('resolution', sa.String(length=8), nullable=True),
    sa.Column('chapter', sa.String(length=4), nullable=True),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('host_consent', 'un_mandate', 'sofa', 'treaty', 'regional_mandate', 'other')", name=op.f('ck_legal_bases_kind')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_legal_bases_engagement_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('engagement_id', 'position', name=op.f('pk_legal_bases'))
    )
    op.create_table('objectives',
    sa.Column('engagement_id', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('specific', sa.Text(), nullable=True),
    sa.Column('measurable', sa.Text(), nullable=True),
    sa.Column('achievable', sa.Text(), nullable=True),
    sa.Column('relevant', sa.Text(), nullable=True),
    sa.Column('time_bound', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_objectives_engagement_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('engagement_id', 'key', name=op.f('pk_objectives'))
    )
    op.create_table('participants',
    sa.Column('engagement_id', sa.String(length=128), nullable=False),
    sa.Column('system', sa.String(length=8), nullable=False),
    sa.Column('code', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('personnel', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("role IN ('contributor', 'host', 'partner')", name=op.f('ck_participants_role')),
    sa.CheckConstraint("system IN ('cow', 'gw')", name=op.f('ck_participants_system')),
    sa.CheckConstraint('personnel IS NULL OR personnel >= 0', name=op.f('ck_participants_personnel')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_participants_engagement_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('engagement_id', 'system', 'code', 'role', name=op.f('pk_participants'))
    )
    op.create_index('ix_participants_code', 'participants', ['system', 'code'], unique=False)

    op.create_table('yearly',
    sa.Column('engagement_id', sa.String(length=128), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('personnel', sa.BigInteger(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('unit', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagements.id'], name=op.f('fk_yearly_engagement_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('engagement_id', 'year', name=op.f('pk_yearly'))
    )
    op.create_table('indicators',
    sa.Column('engagement_id', sa.String(length=128), nullable=False),
    sa.Column('objective_key', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('unit', sa.Text(), nullable=True),
    sa.Column('baseline_value', sa.Float(), nullable=True),
    sa.Column('baseline_date', sa.Date(), nullable=True),
    sa.Column('target_value', sa.Float(), nullable=True),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('data_source', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id', 'objective_key'], ['objectives.engagement_id', 'objectives.key'], name=op.f('fk_indicators_engagement_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('engagement_id', 'objective_key', 'key', name=op.f('pk_indicators'))
    )
    op.create_table('observations',
    sa.Column('engagement_id', sa.String(length=128), nullable=False),
    sa.Column('objective_key', sa.String(length=64), nullable=False),
    sa.Column('indicator_key', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('recorded_by', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['engagement_id', 'objective_key', 'indicator_key'], ['indicators.engagement_id', 'indicators.objective_key', 'indicators.key'], name=op.f('fk_observations_engagement_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('engagement_id', 'objective_key', 'indicator_key', 'date', name=op.f('pk_observations'))
    )


def downgrade() -> None:
    op.drop_table('observations')
    op.drop_table('indicators')
    op.drop_table('yearly')
    op.drop_index('ix_participants_code', table_name='participants')

    op.drop_table('participants')
    op.drop_table('objectives')
    op.drop_table('legal_bases')
    op.drop_table('assessments')
    op.drop_index('ix_engagements_type', table_name='engagements')
    op.drop_index('ix_engagements_source', table_name='engagements')

    op.drop_table('engagements')
    op.drop_index('ix_audit_log_engagement_id', table_name='audit_log')

    op.drop_table('audit_log')
