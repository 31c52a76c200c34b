"""A group's accounts, locked in one statement before its postings; an owner without an account
gets a new one, inserted with its final balance by the group's flush (not an insert, a locking
read and an update per posting)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from registry.ledger.models import Account
from registry.ledger.owners import Owner

ZERO = Decimal("0")


@dataclass
class AccountBook:
    """The accounts of the owners a caller looked up at once (``lock_accounts``).

    Only the lane posts for its portal, so an owner with no account when the book was read gets
    none from anybody else meanwhile; if one did appear, the flush's INSERT fails and the caller's
    savepoint rolls the group back (the deal step then goes deal by deal, with the usual lock).
    """

    portal_id: int
    looked_up: frozenset[Owner]
    found: dict[Owner, Account] = field(default_factory=dict)

    def account(self, session: Session, owner: Owner, now: datetime) -> Account | None:
        """The owner's locked or new account; None when the owner was not looked up."""
        if owner not in self.looked_up:
            return None
        account = self.found.get(owner)
        if account is None:
            account = Account(**new_account(self.portal_id, owner, now))
            session.add(account)
            self.found[owner] = account
        return account


def new_account(portal_id: int, owner: Owner, now: datetime) -> dict[str, object]:
    """The columns of an owner's account before anything is posted to it."""
    return {
        "portal_id": portal_id,
        "owner_type": owner.type,
        "owner_id": owner.id,
        "balance": ZERO,
        "debt": ZERO,
        "blocked": False,
        "updated_at": now,
    }


def lock_accounts(session: Session, portal_id: int, owners: Iterable[Owner]) -> AccountBook:
    """The owners' existing accounts, locked in one statement (in id order, as every caller locks)."""
    wanted = frozenset(owners)
    book = AccountBook(portal_id, wanted)
    if wanted:
        for account in session.execute(_locking(portal_id, wanted)).scalars():
            book.found[Owner(account.owner_type, account.owner_id)] = account
    return book


def _locking(portal_id: int, owners: frozenset[Owner]) -> Select[tuple[Account]]:
    by_type: dict[str, list[int]] = {}
    for owner in owners:
        by_type.setdefault(owner.type, []).append(owner.id)
    matches = [
        (Account.owner_type == kind) & Account.owner_id.in_(sorted(ids))
        for kind, ids in sorted(by_type.items())
    ]
    return (
        select(Account)
        .where(Account.portal_id == portal_id, or_(*matches))
        .order_by(Account.id)
        .with_for_update()
    )
