"""client levels (tiers): each won deal's amount per client, each client's level

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-01 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _portal_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["portal_id"], ["portals.id"], name=op.f(f"fk_{table}_portal_id_portals"), ondelete="CASCADE"
    )


def _owner_check(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint("owner_type IN ('contact','company')", name=op.f(f"ck_{table}_owner_type"))


def upgrade() -> None:
    op.create_table(
        "client_wins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("owner_type", sa.String(length=8), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("won_at", b24app.db.UTCDateTime(), nullable=False),
        _owner_check("client_wins"),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_client_wins_amount_not_negative")),
        _portal_fk("client_wins"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_wins")),
        sa.UniqueConstraint("portal_id", "deal_id", name=op.f("uq_client_wins_portal_id_deal_id")),
    )
    op.create_index("ix_client_wins_owner", "client_wins", ["portal_id", "owner_type", "owner_id"])
    op.create_index("ix_client_wins_won_at", "client_wins", ["portal_id", "won_at"])
    op.create_table(
        "client_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("owner_type", sa.String(length=8), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("level_code", sa.String(length=32), nullable=True),
        sa.Column("won_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("updated_at", b24app.db.UTCDateTime(), nullable=False),
        _owner_check("client_levels"),
        sa.CheckConstraint("won_total >= 0", name=op.f("ck_client_levels_won_total_not_negative")),
        sa.CheckConstraint("changes >= 0", name=op.f("ck_client_levels_changes_not_negative")),
        _portal_fk("client_levels"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_levels")),
        sa.UniqueConstraint(
            "portal_id", "owner_type", "owner_id", name=op.f("uq_client_levels_portal_id_owner_type_owner_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("client_levels")
    op.drop_index("ix_client_wins_won_at", table_name="client_wins")
    op.drop_index("ix_client_wins_owner", table_name="client_wins")
    op.drop_table("client_wins")
