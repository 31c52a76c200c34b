"""deal reads: the portal's answers for a deal backlog read ahead, held between a lane's turns;
the step a lane's next run starts at, kept in its lease (any worker process goes on from there)

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deal_reads',
    sa.Column('portal_id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('inbox_id', sa.Integer(), nullable=False),
    sa.Column('read_at', b24app.db.UTCDateTime(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(
        ['portal_id'], ['portals.id'], name=op.f('fk_deal_reads_portal_id_portals'), ondelete='CASCADE'
    ),
    sa.PrimaryKeyConstraint('portal_id', 'deal_id', name=op.f('pk_deal_reads'))
    )
    op.add_column('lane_leases', sa.Column('resume_step', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('lane_leases') as batch:
        batch.drop_column('resume_step')
    op.drop_table('deal_reads')
