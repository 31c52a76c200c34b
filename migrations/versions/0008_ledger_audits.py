"""ledger audits: the last audit of each portal's ledger, kept for the status

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ledger_audits',
    sa.Column('portal_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', b24app.db.UTCDateTime(), nullable=False),
    sa.Column('difference_count', sa.Integer(), nullable=False),
    sa.Column('differences', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['portal_id'], ['portals.id'], name=op.f('fk_ledger_audits_portal_id_portals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('portal_id', name=op.f('pk_ledger_audits'))
    )


def downgrade() -> None:
    op.drop_table('ledger_audits')
