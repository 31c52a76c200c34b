"""notifications on the outbox: their delivery (attempts, backoff) moves to the outbox machine

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 11:00:00.000000

Every pending notification gets its outbox message (``notice:{id}``); the rows keep their unique
key and status.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    payload = "json_build_object('id', id)" if op.get_bind().dialect.name == "postgresql" else "json_object('id', id)"
    op.execute(
        "INSERT INTO outbox (portal_id, kind, key, payload, status, attempts, created_at, next_attempt_at,"
        " first_failure_at)"
        f" SELECT portal_id, 'notification', 'notice:' || CAST(id AS VARCHAR), {payload}, 'pending', attempts,"
        " created_at, next_attempt_at, first_failure_at FROM notifications WHERE status = 'pending'"
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_due')
        batch_op.drop_column('first_failure_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', b24app.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_failure_at', b24app.db.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_notifications_due', ['portal_id', 'status', 'next_attempt_at'], unique=False)
    op.execute("DELETE FROM outbox WHERE kind = 'notification'")
