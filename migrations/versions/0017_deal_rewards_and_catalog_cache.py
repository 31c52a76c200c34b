"""deal rewards and catalog cache: what offers and bundles gave each deal; product sections

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 10:47:50.465664
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db


revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("fetched_at", b24app.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portals.id"],
            name=op.f("fk_catalog_products_portal_id_portals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_products")),
        sa.UniqueConstraint("portal_id", "product_id", name=op.f("uq_catalog_products_portal_id_product_id")),
    )
    op.create_table(
        "deal_rewards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bundle_type", sa.String(length=16), nullable=True),
        sa.Column("owner_type", sa.String(length=16), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("units", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("legal_entity_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("measure_code", sa.Integer(), nullable=True),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("expected_total", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", b24app.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", b24app.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", b24app.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('offer', 'instant', 'bundle')", name=op.f("ck_deal_rewards_kind")),
        sa.CheckConstraint(
            "status IN ('active', 'reversed', 'to_apply', 'to_add', 'added', 'to_remove', 'removed', 'waiting', 'applying', 'applied', 'cancelled', 'failed')",
            name=op.f("ck_deal_rewards_status"),
        ),
        sa.CheckConstraint("units >= 0 AND value >= 0", name=op.f("ck_deal_rewards_non_negative")),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
            name=op.f("fk_deal_rewards_entry_id_ledger_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lots.id"], name=op.f("fk_deal_rewards_lot_id_lots"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["portal_id"], ["portals.id"], name=op.f("fk_deal_rewards_portal_id_portals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_rewards")),
        sa.UniqueConstraint(
            "portal_id",
            "deal_id",
            "kind",
            "code",
            "generation",
            name=op.f("uq_deal_rewards_portal_id_deal_id_kind_code_generation"),
        ),
    )


def downgrade() -> None:
    op.drop_table("deal_rewards")
    op.drop_table("catalog_products")
