"""lot lifetime: activation, reminder and expiry marks

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lots") as batch:
        batch.add_column(sa.Column("activated_at", b24app.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reminded_at", b24app.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("expired_at", b24app.db.UTCDateTime(), nullable=True))
    op.execute("UPDATE lots SET activated_at = activates_at")  # lots before holds existed were active at once
    op.create_index("ix_lots_expiry", "lots", ["portal_id", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_lots_expiry", table_name="lots")
    with op.batch_alter_table("lots") as batch:
        batch.drop_column("expired_at")
        batch.drop_column("reminded_at")
        batch.drop_column("activated_at")
