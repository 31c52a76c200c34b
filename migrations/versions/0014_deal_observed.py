"""deal_states.observed: what the deal looked like when last read (title, amount, client), for the card tab

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-01 11:00:00.000000

The web process never calls the portal, so the deal tab shows the title and previews what a deal
will earn from what the worker last read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deal_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('observed', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deal_states', schema=None) as batch_op:
        batch_op.drop_column('observed')
