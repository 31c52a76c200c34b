"""campaigns: the client mirror, campaign awards (one per campaign, client and occurrence), runs,
and the ``campaign`` entry kind

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 11:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db
from migrations.ledger_kinds import rebuild_kind_check
from registry.ledger.kinds import kind_check

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = b24app.db.UTCDateTime()
KINDS_0015 = (  # the kinds before this revision (0015 added request_accrual)
    "accrual", "manual_accrual", "write_off", "expiry", "reversal", "deal_adjustment", "correction",
    "debt_settlement", "request_accrual",
)
WITHOUT_CAMPAIGN = f"kind IN ({', '.join(repr(k) for k in KINDS_0015)})"


def upgrade() -> None:
    op.create_table(
        'client_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('portal_id', sa.Integer(), nullable=False),
        sa.Column('client_type', sa.String(length=8), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('created_time', UTC, nullable=True),
        sa.Column('updated_time', UTC, nullable=True),
        sa.Column('birthdate', sa.Date(), nullable=True),
        sa.Column('type_id', sa.String(length=50), nullable=True),
        sa.Column('source_id', sa.String(length=50), nullable=True),
        sa.Column('assigned_by_id', sa.Integer(), nullable=True),
        sa.Column('company_ids', sa.JSON(), nullable=False),
        sa.Column('uf', sa.JSON(), nullable=False),
        sa.Column('synced_at', UTC, nullable=False),
        sa.CheckConstraint("client_type IN ('contact','company')", name=op.f('ck_client_records_client_type')),
        sa.ForeignKeyConstraint(['portal_id'], ['portals.id'], name=op.f('fk_client_records_portal_id_portals'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_client_records')),
        sa.UniqueConstraint('portal_id', 'client_type', 'client_id', name=op.f('uq_client_records_portal_id_client_type_client_id')),
    )
    op.create_table(
        'campaign_awards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('portal_id', sa.Integer(), nullable=False),
        sa.Column('campaign', sa.String(length=64), nullable=False),
        sa.Column('client_type', sa.String(length=8), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('occurrence', sa.Date(), nullable=False),
        sa.Column('points', sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=True),
        sa.Column('awarded_at', UTC, nullable=False),
        sa.CheckConstraint('points > 0', name=op.f('ck_campaign_awards_points_positive')),
        sa.CheckConstraint("client_type IN ('contact','company')", name=op.f('ck_campaign_awards_client_type')),
        sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_campaign_awards_entry_id_ledger_entries'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['portal_id'], ['portals.id'], name=op.f('fk_campaign_awards_portal_id_portals'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_awards')),
        sa.UniqueConstraint('portal_id', 'campaign', 'client_type', 'client_id', 'occurrence', name=op.f('uq_campaign_awards_portal_id_campaign_client_type_client_id_occurrence')),
    )
    op.create_index('ix_campaign_awards_portal_campaign', 'campaign_awards', ['portal_id', 'campaign', 'occurrence'], unique=False)
    op.create_table(
        'campaign_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('portal_id', sa.Integer(), nullable=False),
        sa.Column('campaign', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('runs', sa.Integer(), nullable=False),
        sa.Column('eligible', sa.Integer(), nullable=False),
        sa.Column('awarded', sa.Integer(), nullable=False),
        sa.Column('points', sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column('last_run_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['portal_id'], ['portals.id'], name=op.f('fk_campaign_runs_portal_id_portals'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_runs')),
        sa.UniqueConstraint('portal_id', 'campaign', 'day', name=op.f('uq_campaign_runs_portal_id_campaign_day')),
    )
    rebuild_kind_check(kind_check())


def downgrade() -> None:
    op.execute("DELETE FROM campaign_awards")
    # An award stays in the ledger as what it is closest to before this revision: a manual accrual.
    rebuild_kind_check(WITHOUT_CAMPAIGN, "UPDATE ledger_entries SET kind = 'manual_accrual' WHERE kind = 'campaign'")
    op.drop_table('campaign_runs')
    op.drop_index('ix_campaign_awards_portal_campaign', table_name='campaign_awards')
    op.drop_table('campaign_awards')
    op.drop_table('client_records')
