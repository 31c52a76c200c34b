"""Migration helpers for the ledger: its entry-kind CHECK rebuilt with the append-only triggers kept.

On SQLite a CHECK change rebuilds ``ledger_entries`` (batch mode), which drops its triggers; on
both databases a rewrite of old rows' kinds needs them lifted. So every rebuild drops them first
and creates them again last (``registry.ledger.models`` holds the statements the app creates).
Imported by the revisions as ``migrations.ledger_kinds`` (alembic.ini puts the repo on the path).
"""

from __future__ import annotations

from alembic import op

from registry.ledger.models import POSTGRES_TRIGGERS, SQLITE_TRIGGERS


def postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def drop_triggers() -> None:
    if postgres():
        op.execute("DROP TRIGGER IF EXISTS ledger_append_only ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_no_update")
        op.execute("DROP TRIGGER IF EXISTS ledger_no_delete")


def create_triggers() -> None:
    for statement in POSTGRES_TRIGGERS if postgres() else SQLITE_TRIGGERS:
        op.execute(statement)


def rebuild_kind_check(check: str, rewrite: str | None = None) -> None:
    """Replace the ledger's kind CHECK with ``check``; ``rewrite`` (SQL) moves rows' kinds in between."""
    drop_triggers()
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_entries_kind"), type_="check")
    if rewrite:
        op.execute(rewrite)
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_ledger_entries_kind"), check)
    create_triggers()
