"""row isolation: step failures, lot errors, notifications rendered outside the ledger transaction

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lane_step_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('failing_since', b24app.db.UTCDateTime(), nullable=False),
    sa.Column('retry_at', b24app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['portal_id'], ['portals.id'], name=op.f('fk_lane_step_failures_portal_id_portals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lane_step_failures')),
    sa.UniqueConstraint('portal_id', 'step', name=op.f('uq_lane_step_failures_portal_id_step'))
    )
    with op.batch_alter_table('lane_leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wake_at', b24app.db.UTCDateTime(), nullable=True))

    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('retry_at', b24app.db.UTCDateTime(), nullable=True))

    with op.batch_alter_table('deal_states', schema=None) as batch_op:
        batch_op.alter_column('skipped_reason', existing_type=sa.String(length=64),
                              type_=sa.String(length=255), existing_nullable=True)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('template_values', sa.JSON(), nullable=True))
        batch_op.alter_column('text', existing_type=sa.Text(), nullable=True)
        batch_op.create_check_constraint(
            op.f('ck_notifications_text_or_template'), 'text IS NOT NULL OR template IS NOT NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_text_or_template'), type_='check')
        batch_op.alter_column('text', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('template_values')
        batch_op.drop_column('template')

    with op.batch_alter_table('deal_states', schema=None) as batch_op:
        batch_op.alter_column('skipped_reason', existing_type=sa.String(length=255),
                              type_=sa.String(length=64), existing_nullable=True)

    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_column('retry_at')
        batch_op.drop_column('error')

    with op.batch_alter_table('lane_leases', schema=None) as batch_op:
        batch_op.drop_column('wake_at')

    op.drop_table('lane_step_failures')
