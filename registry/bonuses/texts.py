"""Words the portal shows: timeline comments, item titles and operation names (English msgids,
translated through the catalogs of ``b24app.i18n``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from b24app.db import once_per_transaction
from b24app.i18n import N_, lang, long_date, money, percent, points, t
from b24app.models import Portal
from registry.ledger.views import EntryView as Entry


@dataclass(frozen=True)
class Comment:
    entity_type: str  # deal | contact | company
    entity_id: int
    body: str


# Kinds that share a sentence: a manual accrual reads as an accrual, every adjustment alike.
PHRASE_OF_KIND = {
    "manual_accrual": "accrual",
    "request_accrual": "accrual",
    "deal_adjustment": "adjustment",
    "correction": "adjustment",
    "debt_settlement": "adjustment",
    "campaign": "accrual_manual",  # "Accrued N bonuses: {the campaign's description}."
    "customer_event": "accrual",
    "opening_balance": "accrual",
}
OPERATIONS = {
    "accrual": N_("Accrual"),
    "manual_accrual": N_("Accrual"),
    "request_accrual": N_("Accrual"),
    "write_off": N_("Write-off"),
    "expiry": N_("Expiry"),
    "reversal": N_("Reversal"),
    "adjustment": N_("Adjustment"),
    "deal_adjustment": N_("Adjustment"),
    "correction": N_("Adjustment"),
    "debt_settlement": N_("Adjustment"),
    "campaign": N_("Campaign award"),
    "customer_event": N_("Customer event"),
    "opening_balance": N_("Opening balance"),
}
PHRASES = {
    "accrual_percent": N_("Accrued {amount} bonuses: {percent}% of {base}."),
    "accrual": N_("Accrued {amount} bonuses for deal #{deal}."),
    "reversal": N_("Cancelled {amount} bonuses: deal #{deal} is no longer won."),
    "adjustment": N_("Accrual for deal #{deal} changed by {signed} bonuses."),
    "accrual_manual": N_("Accrued {amount} bonuses: {reason}."),
    "adjustment_manual": N_("Balance adjusted by {signed} bonuses: {reason}."),
    "write_off": N_("Written off {amount} bonuses."),
    "expiry": N_("Expired {amount} bonuses."),
    "balance": N_("Balance: {balance}"),
    "title_deal": N_("{operation} for deal #{deal}"),
    "title": N_("Bonus {operation_lower}"),
}


def _phrase(key: str, language: str) -> str:
    return t(language, PHRASES[key])


def describe(entry: Entry, language: str) -> str:
    """One sentence for the entry plus the balance after it."""
    snap = entry.snapshot or {}
    values = {
        "amount": points(abs(entry.amount), language),
        "deal": entry.deal_id or "",
        "signed": ("+" if entry.amount > 0 else "−") + points(abs(entry.amount), language),
    }
    key = PHRASE_OF_KIND.get(entry.kind, entry.kind)
    values["reason"] = entry.reason or ""
    if snap.get("kind") == "manual" or (key == "adjustment" and not entry.deal_id):
        key = f"{key}_manual"
    elif entry.kind == "accrual" and snap.get("percent") is not None and snap.get("base_amount") is not None:
        key = "accrual_percent"
        values["percent"] = percent(Decimal(str(snap["percent"])), language)
        values["base"] = money(Decimal(str(snap["base_amount"])), str(snap.get("currency") or ""), language)
    sentence = _phrase(key if key in PHRASES else "accrual", language).format(**values)
    return f"{sentence} {_phrase('balance', language).format(balance=points(entry.balance_after, language))}"


def comments(entry: Entry, language: str) -> dict[str, Comment]:
    """Timeline comments owed for an entry: on the deal (when there is one) and on the owner."""
    body = describe(entry, language)
    out = {"owner": Comment(entry.owner_type, entry.owner_id, body)}
    if entry.deal_id:
        out["deal"] = Comment("deal", entry.deal_id, body)
    return out


def operation_label(kind: str, language: str) -> str:
    return t(language, OPERATIONS[kind]) if kind in OPERATIONS else kind


def item_title(entry: Entry, language: str) -> str:
    operation = operation_label(entry.kind, language)
    if entry.deal_id:
        return _phrase("title_deal", language).format(operation=operation, deal=entry.deal_id)
    return _phrase("title", language).format(operation=operation, operation_lower=operation.lower())


REMINDER = N_("{amount} bonuses expire on {date}; spend them before then.")


def reminder(amount: Decimal, expires_at: datetime, language: str) -> str:
    """The expiring-soon comment: how much and on which day (in the portal's language)."""
    day = long_date(expires_at, language)
    return t(language, REMINDER).format(amount=points(amount, language), date=day)


def portal_language(session: Session, portal_id: int) -> str:
    # Once per transaction: the mirror asks it for every registry item it writes, and the
    # session's identity map holds the portal only weakly, so each call loaded its whole row again.
    return once_per_transaction(session, ("language", portal_id), lambda: _read_language(session, portal_id))


def _read_language(session: Session, portal_id: int) -> str:
    return lang(session.get_one(Portal, portal_id).language)
