"""refresh lease: a token refresh holds a lease on the portal row, not a lock across the OAuth call

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('portals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refresh_holder', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('refresh_until', b24app.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('portals', schema=None) as batch_op:
        batch_op.drop_column('refresh_until')
        batch_op.drop_column('refresh_holder')
