"""The one way into the ledger: ``post(session, portal_id, movement, now)``.

A ``Movement`` says what happens (kind, owner, signed amount, business key, actor, source, reason,
deal, legal entity, snapshot) and what it does to lots: a credit opens a lot (``NewLot``) or grows
a given one (``IntoLot``); a debit draws FIFO from the spendable lots (``Spendable``) or from a
given lot (``FromLot``, where what the lot does not hold becomes debt). ``post`` locks the
account, appends the entry and moves every derived figure in this one place: the balance, the
entry's ``balance_after``, lot ``remaining``/``amount``, ``debt``. Every decrease of a lot is a
draw (registry.ledger.lots.draw). A credit first settles outstanding debt: a ``debt_settlement``
entry drawn from the credit's lot. Callers own the transaction and check what they must refuse
(blocked, caps, insufficient balance) before posting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from b24app.db import insert_ignore
from registry.ledger import lots
from registry.ledger.account_book import AccountBook, new_account
from registry.ledger.kinds import EntryKind
from registry.ledger.models import Account, LedgerEntry, Lot
from registry.ledger.owners import Owner as Owner  # callers import it from here

ZERO = Decimal("0")
DEBT_REPAYMENT = "debt_repayment"  # the reason a debt settlement carries


@dataclass(frozen=True)
class NewLot:
    """A credit opens a lot: held for ``hold_days``, then spendable for ``lifetime_days`` (0: for ever)."""

    lifetime_days: int
    hold_days: int = 0


@dataclass(frozen=True)
class IntoLot:
    """A credit grows a given lot; if that lot had expired, it lives ``lifetime_days`` from now."""

    lot_id: int
    lifetime_days: int


@dataclass(frozen=True)
class Spendable:
    """A debit drawn FIFO (earliest expiry first) from the active, unexpired lots."""


@dataclass(frozen=True)
class FromLot:
    """A debit drawn from one lot, as far as it holds; the rest of the amount becomes debt."""

    lot_id: int


LotEffect = NewLot | IntoLot | Spendable | FromLot


@dataclass(frozen=True)
class Movement:
    """One movement asked of the ledger; ``key`` makes it happen once per portal."""

    kind: EntryKind
    owner: Owner
    amount: Decimal  # signed: positive credits, negative debits
    key: str
    actor: str  # who: user:{id}, system, console
    source: str  # what for: deal:{id}, robot:{hash}, console (later campaign:{x}, request:{id})
    lots: LotEffect
    reason: str | None = None
    deal_id: int | None = None
    legal_entity_id: int | None = None
    snapshot: dict[str, Any] = field(default_factory=dict)
    reverses: int | None = None
    debt: Decimal = ZERO  # debt left on top of what the debit takes (a reversal's spent part)

    @property
    def is_credit(self) -> bool:
        return isinstance(self.lots, NewLot | IntoLot)


@dataclass
class Posting:
    """What a movement wrote: its entry (None when a debit found nothing to take), any debt
    settlement, and the lot a credit opened or grew."""

    entries: list[LedgerEntry] = field(default_factory=list)
    lot: Lot | None = None

    @property
    def entry(self) -> LedgerEntry | None:
        return self.entries[0] if self.entries else None


def post(
    session: Session, portal_id: int, m: Movement, now: datetime, *, book: AccountBook | None = None
) -> Posting:
    """Apply ``m`` under the owner's account lock (concurrent movements of one owner serialise).

    With a ``book`` (a group's accounts, locked at once), a credit that opens a lot is only added
    to the session: its rows go in with the group's flush, so its entry and lot have no id until
    then (the caller flushes before it reads them).
    """
    account = book.account(session, m.owner, now) if book is not None else None
    deferred = account is not None and isinstance(m.lots, NewLot)
    if account is None:
        account = lock_account(session, portal_id, m.owner, now)
    if m.is_credit:
        return _credit(session, account, m, now, deferred)
    return _debit(session, account, m, now)


def _credit(
    session: Session, account: Account, m: Movement, now: datetime, deferred: bool = False
) -> Posting:
    entry = _append(session, account, m, m.amount, now, flush=not deferred)
    if isinstance(m.lots, NewLot):
        lot = lots.open_lot(session, entry, now, m.lots.lifetime_days, m.lots.hold_days, flush=not deferred)
    else:
        assert isinstance(m.lots, IntoLot)
        lot = session.get_one(Lot, m.lots.lot_id)
        lots.grow(lot, m.amount, now, m.lots.lifetime_days)
    posting = Posting([entry], lot)
    settled = _settle_debt(session, account, lot, m, entry, now)
    if settled is not None:
        posting.entries.append(settled)
    return posting


def _debit(session: Session, account: Account, m: Movement, now: datetime) -> Posting:
    asked = -m.amount
    if isinstance(m.lots, FromLot):
        sources = [session.get_one(Lot, m.lots.lot_id)]
        take = min(sources[0].remaining, asked)
    else:
        sources = lots.spendable_lots(session, account, now)
        take = asked
    account.debt += (asked - take) + m.debt
    if take <= ZERO:
        return Posting()
    entry = _append(session, account, m, -take, now)
    lots.draw(session, entry, sources, take)
    return Posting([entry], sources[0] if isinstance(m.lots, FromLot) else None)


def _settle_debt(
    session: Session, account: Account, lot: Lot, m: Movement, credit: LedgerEntry, now: datetime
) -> LedgerEntry | None:
    """A new credit first pays what earlier reversals and cuts left as debt, from its own lot."""
    pay = min(account.debt, lot.remaining)
    if pay <= ZERO:
        return None
    if lot.id is None:  # a deferred credit: the settlement's key and draw need the rows' ids
        session.flush()
    account.debt -= pay
    settlement = Movement(
        EntryKind.DEBT_SETTLEMENT,
        m.owner,
        -pay,
        f"debt:{credit.id}",
        "system",
        m.source,
        FromLot(lot.id),
        reason=DEBT_REPAYMENT,
        deal_id=m.deal_id,
        legal_entity_id=m.legal_entity_id,
    )
    entry = _append(session, account, settlement, -pay, now)
    lots.draw(session, entry, [lot], pay)
    return entry


def _append(
    session: Session, account: Account, m: Movement, amount: Decimal, now: datetime, *, flush: bool = True
) -> LedgerEntry:
    """The entry, with the balance moved by ``amount`` (what the movement actually did); without
    ``flush`` it goes in with the caller's next flush (its account may be new too)."""
    account.balance += amount
    account.updated_at = now
    entry = LedgerEntry(
        portal_id=account.portal_id,
        account=account,
        kind=str(m.kind),
        amount=amount,
        balance_after=account.balance,
        business_key=m.key,
        reason=m.reason,
        actor=m.actor[:64],
        source=m.source[:64],
        deal_id=m.deal_id,
        legal_entity_id=m.legal_entity_id,
        reverses_entry_id=m.reverses,
        snapshot=m.snapshot,
        created_at=now,
    )
    session.add(entry)
    if flush:
        session.flush()
    return entry


# Built once with bound parameters (asked for every posting): building a statement and its cache
# key per call cost more than running it.
_OWNER = (
    Account.portal_id == bindparam("portal_id"),
    Account.owner_type == bindparam("owner_type"),
    Account.owner_id == bindparam("owner_id"),
)
_LOCK = select(Account).where(*_OWNER).with_for_update()
_BALANCE = select(Account.balance).where(*_OWNER)


def lock_account(session: Session, portal_id: int, owner: Owner, now: datetime) -> Account:
    """The owner's account, created if needed, locked for this transaction (serialises spends)."""
    insert_ignore(session, Account.__table__, new_account(portal_id, owner, now))
    key = {"portal_id": portal_id, "owner_type": owner.type, "owner_id": owner.id}
    return session.execute(_LOCK, key).scalar_one()


def account_of(session: Session, portal_id: int, owner: Owner) -> Account | None:
    """The owner's account as it is (None: nothing was ever posted for them), unlocked."""
    return session.execute(
        select(Account).where(
            Account.portal_id == portal_id, Account.owner_type == owner.type, Account.owner_id == owner.id
        )
    ).scalar_one_or_none()


def existing(session: Session, portal_id: int, key: str) -> LedgerEntry | None:
    """The entry already posted under ``key`` (a repeated request gets the same result)."""
    return session.execute(
        select(LedgerEntry).where(LedgerEntry.portal_id == portal_id, LedgerEntry.business_key == key)
    ).scalar_one_or_none()


def balance_of(session: Session, portal_id: int, owner_type: str, owner_id: int) -> Decimal:
    key = {"portal_id": portal_id, "owner_type": owner_type, "owner_id": owner_id}
    value = session.execute(_BALANCE, key).scalar_one_or_none()
    return value if value is not None else ZERO
