"""entry kinds: one posting API; source and legal entity per entry; debt instead of negative balances

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00.000000

``adjustment`` meant three things; its rows become ``debt_settlement`` (reason debt_repayment),
``deal_adjustment`` (with a deal) or ``correction`` (support); accruals made by hand
(snapshot kind ``manual``) become ``manual_accrual``. The append-only trigger is dropped around
the rewrite and created again. A negative balance (the old ``negative_balance`` mode) becomes
debt: a ``correction`` entry brings the balance back to 0 and the amount moves to ``debt``.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from migrations.ledger_kinds import create_triggers, drop_triggers, postgres
from registry.ledger.kinds import kind_check

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "kind IN ('accrual','write_off','expiry','reversal','adjustment')"


def _rewrite_kinds() -> None:
    manual = "snapshot->>'kind' = 'manual'" if postgres() else "json_extract(snapshot, '$.kind') = 'manual'"
    after = "strpos(business_key, ':')" if postgres() else "instr(business_key, ':')"
    op.execute("UPDATE ledger_entries SET kind = 'debt_settlement' WHERE kind = 'adjustment' AND reason = 'debt_repayment'")
    op.execute("UPDATE ledger_entries SET kind = 'deal_adjustment' WHERE kind = 'adjustment' AND deal_id IS NOT NULL")
    op.execute("UPDATE ledger_entries SET kind = 'correction' WHERE kind = 'adjustment'")
    op.execute(f"UPDATE ledger_entries SET kind = 'manual_accrual' WHERE kind = 'accrual' AND {manual}")
    op.execute(
        "UPDATE ledger_entries SET source = CASE"
        " WHEN business_key LIKE 'console:%' THEN 'console'"
        f" WHEN business_key LIKE 'bonus\\_%' ESCAPE '\\' THEN 'robot:' || substr(business_key, {after} + 1)"
        " WHEN deal_id IS NOT NULL THEN 'deal:' || CAST(deal_id AS VARCHAR)"
        " ELSE 'system' END"
    )


def _debt_for_negative_balances() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = bind.execute(sa.text("SELECT id, portal_id, balance FROM accounts WHERE balance < 0")).all()
    for account_id, portal_id, balance in rows:
        bind.execute(
            sa.text(
                "INSERT INTO ledger_entries (portal_id, account_id, kind, amount, balance_after, business_key,"
                " reason, actor, source, snapshot, created_at) VALUES (:p, :a, 'correction', :amount, 0, :key,"
                " 'negative balance recorded as debt', 'system', 'migration', '{}', :now)"
            ),
            {"p": portal_id, "a": account_id, "amount": -balance, "key": f"migrate:debt:{account_id}", "now": now},
        )
        bind.execute(
            sa.text("UPDATE accounts SET debt = debt - balance, balance = 0 WHERE id = :a"), {"a": account_id}
        )


def upgrade() -> None:
    drop_triggers()
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ledger_entries_kind'), type_='check')
        batch_op.add_column(sa.Column('source', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('legal_entity_id', sa.Integer(), nullable=True))
    _rewrite_kinds()
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.alter_column('source', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_check_constraint(op.f('ck_ledger_entries_kind'), kind_check())
    _debt_for_negative_balances()
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_accounts_balance_not_negative'), type_='check')
        batch_op.drop_column('allow_negative')
        batch_op.create_check_constraint(op.f('ck_accounts_balance_not_negative'), 'balance >= 0')
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_accounts_balance_not_negative'), type_='check')
        batch_op.add_column(sa.Column('allow_negative', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_check_constraint(op.f('ck_accounts_balance_not_negative'), 'balance >= 0 OR allow_negative')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ledger_entries_kind'), type_='check')
    op.execute("UPDATE ledger_entries SET kind = 'adjustment' WHERE kind IN ('debt_settlement', 'deal_adjustment', 'correction')")
    op.execute("UPDATE ledger_entries SET kind = 'accrual' WHERE kind = 'manual_accrual'")
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_column('legal_entity_id')
        batch_op.drop_column('source')
        batch_op.create_check_constraint(op.f('ck_ledger_entries_kind'), OLD_KINDS)
    create_triggers()
