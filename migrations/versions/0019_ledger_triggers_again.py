"""ledger append-only triggers again: the entry-kind CHECK rebuild of 0018 recreated the ledger table on
SQLite (batch mode) without its triggers (it keeps them now, through ``migrations.ledger_kinds``);
databases migrated by the older 0018 get them anew here

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

from migrations.ledger_kinds import create_triggers, drop_triggers, postgres

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if postgres():  # PostgreSQL's ALTER TABLE keeps the trigger
        return
    drop_triggers()
    create_triggers()


def downgrade() -> None:
    """Nothing to undo: the triggers belong to the ledger at every revision."""
