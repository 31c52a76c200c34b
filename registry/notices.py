"""Client notifications: which events are told, over which channels, in which words.

The program's ``notifications`` setting names, per event, channels in fallback order::

    {"channels": {"accrued": ["whatsapp", "sms", "email"], "written_off": ["sms"]},
     "templates": {"accrued": {"ru": "...", "en": "..."}}}

Planning happens in the transaction that writes the ledger entry: the text is rendered then
(Jinja2, sandboxed, a missing value renders empty) and one ``Notification`` row is owed for the
first channel; the delivery step falls back to the next channel when the client cannot be
reached that way. The timeline comment on the owner is always written by the mirror.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from jinja2 import ChainableUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.orm import Session

from b24app.db import insert_ignore
from registry.ledger_view import EntryView
from registry.models import Notification
from registry.program import current_program
from registry.texts import lang, long_date, points

CHANNELS = ("email", "sms", "whatsapp")
EVENTS = ("accrued", "written_off", "reversed", "adjusted", "expiring", "expired")
EVENT_OF_KIND = {
    "accrual": "accrued",
    "write_off": "written_off",
    "reversal": "reversed",
    "expiry": "expired",
}
DEFAULT_TEMPLATES = {
    "ru": {
        "accrued": "Вам начислено {{ amount }} бонусов. Баланс: {{ balance }}."
        "{% if expires %} Бонусы действуют до {{ expires }}{% endif %}",
        "written_off": "Списано {{ amount }} бонусов. Баланс: {{ balance }}.",
        "reversed": "Отменено {{ amount }} бонусов. Баланс: {{ balance }}.",
        "adjusted": "Ваш бонусный баланс изменён на {{ amount }}. Баланс: {{ balance }}.",
        "expiring": "{{ expires }} сгорят {{ amount }} бонусов — успейте потратить.",
        "expired": "Сгорело {{ amount }} бонусов. Баланс: {{ balance }}.",
    },
    "en": {
        "accrued": "You earned {{ amount }} bonuses. Balance: {{ balance }}."
        "{% if expires %} They are valid until {{ expires }}.{% endif %}",
        "written_off": "{{ amount }} bonuses were spent. Balance: {{ balance }}.",
        "reversed": "{{ amount }} bonuses were cancelled. Balance: {{ balance }}.",
        "adjusted": "Your bonus balance changed by {{ amount }}. Balance: {{ balance }}.",
        "expiring": "{{ amount }} bonuses expire on {{ expires }}: spend them before then.",
        "expired": "{{ amount }} bonuses expired. Balance: {{ balance }}.",
    },
}
_ENV = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False)


class TemplateProblem(ValueError):
    pass


def check_settings(settings: Any) -> dict[str, Any]:
    """Validate the program's ``notifications`` value; templates must compile."""
    if not isinstance(settings, dict):
        raise TemplateProblem("must be an object with 'channels' and 'templates'")
    for event, channels in (settings.get("channels") or {}).items():
        if event not in EVENTS:
            raise TemplateProblem(f"unknown event {event!r}; use one of {', '.join(EVENTS)}")
        if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
            raise TemplateProblem(f"channels for {event} must be a list of {', '.join(CHANNELS)}")
    for event, by_language in (settings.get("templates") or {}).items():
        for language, source in (by_language or {}).items():
            try:
                _ENV.from_string(str(source))
            except TemplateError as exc:
                raise TemplateProblem(f"template {event}.{language}: {exc}") from exc
    return settings


def render(event: str, language: str, values: dict[str, Any], overrides: dict[str, Any] | None = None) -> str:
    """The message text; a portal's own template wins over ours, a broken value renders empty."""
    code = lang(language)
    source = ((overrides or {}).get(event) or {}).get(code) or DEFAULT_TEMPLATES[code][event]
    try:
        return _ENV.from_string(str(source)).render(**values).strip()
    except TemplateError:
        return _ENV.from_string(DEFAULT_TEMPLATES[code][event]).render(**values).strip()


def values_for(
    amount: Decimal, balance: Decimal | None, expires: datetime | None, language: str
) -> dict[str, Any]:
    return {
        "amount": points(abs(amount), language),
        "balance": points(balance, language) if balance is not None else "",
        "expires": long_date(expires, language) if expires else "",
    }


def plan(
    session: Session,
    portal_id: int,
    *,
    event: str,
    subject: str,
    owner: tuple[str, int],
    values: dict[str, Any],
    language: str,
    now: datetime,
    forced: str | None = None,
) -> bool:
    """Owe one notification for the first configured (or ``forced``) channel; True if owed."""
    settings = current_program(session, portal_id).notifications
    channels = list((settings.get("channels") or {}).get(event) or [])
    if forced == "none":
        return False
    if forced in CHANNELS:
        channels = [forced, *[c for c in channels if c != forced]]
    if not channels:
        return False
    text = render(event, language, values, settings.get("templates"))
    return owe(
        session, portal_id, subject=subject, event=event, channels=channels, owner=owner, text=text, now=now
    )


def owe(
    session: Session,
    portal_id: int,
    *,
    subject: str,
    event: str,
    channels: list[str],
    owner: tuple[str, int],
    text: str,
    now: datetime,
) -> bool:
    """One pending row for ``channels[0]``, remembering the rest as fallbacks; False if owed before."""
    row = {
        "portal_id": portal_id,
        "subject": subject,
        "event": event,
        "channel": channels[0],
        "fallbacks": {"next": channels[1:]},
        "owner_type": owner[0],
        "owner_id": owner[1],
        "text": text,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    return insert_ignore(session, Notification.__table__, row)


def plan_for_entries(
    session: Session,
    portal_id: int,
    entries: Sequence[EntryView],
    language: str,
    now: datetime,
    forced: str | None = None,
) -> None:
    """What new ledger entries tell the client (held accruals wait for their activation)."""
    for e in entries:
        event = EVENT_OF_KIND.get(e.kind)
        if e.kind == "adjustment" and not e.deal_id and e.reason != "debt_repayment":
            event = "adjusted"  # a support correction; deal-amount adjustments stay quiet
        if event is None or e.state == "pending":
            continue
        values = values_for(
            e.amount, e.balance_after, e.expires_at if e.kind == "accrual" else None, language
        )
        plan(
            session,
            portal_id,
            event=event,
            subject=f"entry:{e.id}",
            owner=(e.owner_type, e.owner_id),
            values=values,
            language=language,
            now=now,
            forced=forced,
        )
