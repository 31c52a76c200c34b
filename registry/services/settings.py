"""The settings page's reads and commands: the program's versions, restoring one (as a new version),
and a sample client for previewing notification texts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from b24app.container import Container
from registry.ledger.models import Account, LedgerEntry, Lot
from registry.program.document import Program, ProgramError, save_program
from registry.program.models import ProgramVersion

HISTORY = 50


@dataclass(frozen=True)
class Version:
    version: int
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Sample:
    """Who a preview is rendered for: the client with the largest balance, else made-up figures."""

    owner: str | None
    amount: Decimal
    balance: Decimal
    expires: datetime | None


def versions(c: Container, portal_id: int) -> list[Version]:
    with c.db.transaction() as session:
        rows = session.execute(
            select(ProgramVersion)
            .where(ProgramVersion.portal_id == portal_id)
            .order_by(ProgramVersion.version.desc())
            .limit(HISTORY)
        ).scalars()
        return [Version(r.version, r.created_by, r.created_at) for r in rows]


def restore(c: Container, portal_id: int, version: int, actor: str) -> Program:
    """Save an older version's document as the newest version; ProgramError when there is none."""
    with c.db.transaction() as session:
        row = session.execute(
            select(ProgramVersion).where(
                ProgramVersion.portal_id == portal_id, ProgramVersion.version == version
            )
        ).scalar_one_or_none()
        if row is None:
            raise ProgramError("$.version", f"there is no version {version}")
        return save_program(session, portal_id, dict(row.document), actor, c.clock.now())


def sample(c: Container, portal_id: int) -> Sample:
    with c.db.transaction() as session:
        account = session.execute(
            select(Account)
            .where(Account.portal_id == portal_id)
            .order_by(Account.balance.desc(), Account.id)
            .limit(1)
        ).scalar_one_or_none()
        if account is None:
            return Sample(None, Decimal("50"), Decimal("150"), c.clock.now())
        last: Any = (
            session.execute(
                select(LedgerEntry.amount)
                .where(LedgerEntry.account_id == account.id)
                .order_by(LedgerEntry.id.desc())
            )
            .scalars()
            .first()
        )
        expires = (
            session.execute(
                select(Lot.expires_at)
                .where(Lot.account_id == account.id, Lot.remaining > 0, Lot.expires_at.is_not(None))
                .order_by(Lot.expires_at)
            )
            .scalars()
            .first()
        )
        owner = f"{account.owner_type}:{account.owner_id}"
        return Sample(owner, abs(Decimal(last or 0)), account.balance, expires)
