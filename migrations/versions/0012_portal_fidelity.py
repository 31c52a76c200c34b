"""portal fidelity: a deleted portal is marked (its lane stops); operator alarms (our credentials refused)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('portals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gone_at', b24app.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('gone_reason', sa.Text(), nullable=True))
    op.create_table(
        'operator_alarms',
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('raised_at', b24app.db.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', b24app.db.UTCDateTime(), nullable=False),
        sa.Column('occurrences', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_operator_alarms')),
    )


def downgrade() -> None:
    op.drop_table('operator_alarms')
    with op.batch_alter_table('portals', schema=None) as batch_op:
        batch_op.drop_column('gone_reason')
        batch_op.drop_column('gone_at')
