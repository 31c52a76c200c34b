"""ledger append-only triggers again: the entry-kind CHECK rebuilds of 0015, 0016 and 0018 recreate the
ledger table on SQLite (batch mode), which drops its triggers; they are made anew here

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

from registry.ledger.models import SQLITE_TRIGGERS

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if not _sqlite():  # PostgreSQL's ALTER TABLE keeps the trigger
        return
    op.execute("DROP TRIGGER IF EXISTS ledger_no_update")
    op.execute("DROP TRIGGER IF EXISTS ledger_no_delete")
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Nothing to undo: the triggers belong to the ledger at every revision."""
