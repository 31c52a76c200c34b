"""Words the portal shows: timeline comments, item titles and operation names, in ru or en."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from sqlalchemy.orm import Session

from b24app.models import Portal
from registry.ledger.views import EntryView as Entry


@dataclass(frozen=True)
class Comment:
    entity_type: str  # deal | contact | company
    entity_id: int
    body: str


LANGS = ("ru", "en")
# Kinds that share a sentence: a manual accrual reads as an accrual, every adjustment alike.
PHRASE_OF_KIND = {
    "manual_accrual": "accrual",
    "deal_adjustment": "adjustment",
    "correction": "adjustment",
    "debt_settlement": "adjustment",
}
OPERATIONS = {
    "ru": {
        "accrual": "Начисление",
        "write_off": "Списание",
        "expiry": "Сгорание",
        "reversal": "Отмена",
        "adjustment": "Корректировка",
        "manual_accrual": "Начисление",
        "deal_adjustment": "Корректировка",
        "correction": "Корректировка",
        "debt_settlement": "Корректировка",
    },
    "en": {
        "accrual": "Accrual",
        "write_off": "Write-off",
        "expiry": "Expiry",
        "reversal": "Reversal",
        "adjustment": "Adjustment",
        "manual_accrual": "Accrual",
        "deal_adjustment": "Adjustment",
        "correction": "Adjustment",
        "debt_settlement": "Adjustment",
    },
}
PHRASES = {
    "ru": {
        "accrual_percent": "Начислено {amount} бонусов: {percent}% от {base}.",
        "accrual": "Начислено {amount} бонусов по сделке №{deal}.",
        "reversal": "Отменено {amount} бонусов: сделка №{deal} больше не успешна.",
        "adjustment": "Начисление по сделке №{deal} изменено на {signed} бонусов.",
        "accrual_manual": "Начислено {amount} бонусов: {reason}.",
        "adjustment_manual": "Корректировка баланса на {signed} бонусов: {reason}.",
        "write_off": "Списано {amount} бонусов.",
        "expiry": "Сгорело {amount} бонусов.",
        "balance": "Баланс: {balance}",
        "title_deal": "{operation} по сделке №{deal}",
        "title": "{operation} бонусов",
    },
    "en": {
        "accrual_percent": "Accrued {amount} bonuses: {percent}% of {base}.",
        "accrual": "Accrued {amount} bonuses for deal #{deal}.",
        "reversal": "Cancelled {amount} bonuses: deal #{deal} is no longer won.",
        "adjustment": "Accrual for deal #{deal} changed by {signed} bonuses.",
        "accrual_manual": "Accrued {amount} bonuses: {reason}.",
        "adjustment_manual": "Balance adjusted by {signed} bonuses: {reason}.",
        "write_off": "Written off {amount} bonuses.",
        "expiry": "Expired {amount} bonuses.",
        "balance": "Balance: {balance}",
        "title_deal": "{operation} for deal #{deal}",
        "title": "Bonus {operation_lower}",
    },
}


def lang(language: str) -> str:
    return "ru" if language == "ru" else "en"


def points(value: Decimal, language: str) -> str:
    return format_decimal(value, format="#,##0.00", locale=lang(language))


def money(value: Decimal, currency: str, language: str) -> str:
    return format_currency(value, currency or "RUB", locale=lang(language))


def percent(value: Decimal, language: str) -> str:
    return format_decimal(value, format="#,##0.##", locale=lang(language))


def describe(entry: Entry, language: str) -> str:
    """One sentence for the entry plus the balance after it."""
    p = PHRASES[lang(language)]
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
    sentence = p.get(key, p["accrual"]).format(**values)
    return f"{sentence} {p['balance'].format(balance=points(entry.balance_after, language))}"


def comments(entry: Entry, language: str) -> dict[str, Comment]:
    """Timeline comments owed for an entry: on the deal (when there is one) and on the owner."""
    body = describe(entry, language)
    out = {"owner": Comment(entry.owner_type, entry.owner_id, body)}
    if entry.deal_id:
        out["deal"] = Comment("deal", entry.deal_id, body)
    return out


def operation_label(kind: str, language: str) -> str:
    return OPERATIONS[lang(language)].get(kind, kind)


def item_title(entry: Entry, language: str) -> str:
    p = PHRASES[lang(language)]
    operation = operation_label(entry.kind, language)
    if entry.deal_id:
        return p["title_deal"].format(operation=operation, deal=entry.deal_id)
    return p["title"].format(operation=operation, operation_lower=operation.lower())


REMINDERS = {
    "ru": "{date} сгорят {amount} бонусов — потратьте их до этого дня.",
    "en": "{amount} bonuses expire on {date}; spend them before then.",
}


def long_date(value: datetime, language: str) -> str:
    """ "30 ноября 2026 г." / "November 30, 2026"."""
    return format_date(value.date(), format="long", locale=lang(language))


def reminder(amount: Decimal, expires_at: datetime, language: str) -> str:
    """The expiring-soon comment: how much and on which day (in the portal's language)."""
    day = long_date(expires_at, language)
    return REMINDERS[lang(language)].format(amount=points(amount, language), date=day)


def portal_language(session: Session, portal_id: int) -> str:
    portal = session.get_one(Portal, portal_id)
    return lang(portal.language)
