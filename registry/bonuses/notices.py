"""Client notifications: which events are told, over which channels, in which words.

The program's ``notifications`` setting names, per event, channels in fallback order::

    {"channels": {"accrued": ["whatsapp", "sms", "email"], "written_off": ["sms"]},
     "templates": {"accrued": {"ru": "...", "en": "..."}}}

Planning happens in the transaction that writes the ledger entry: one ``Notification`` row is
owed for the first channel, holding the template (the portal's, else ours) and the formatted
values, and the outbox owes its delivery. Nothing is rendered there: the outbox machine renders
the text outside any transaction
(``registry.templates``: Jinja2, sandboxed, bounded; a missing value renders empty) and stores it
before the first send. It falls back to the next channel when the client cannot be reached that
way. The timeline comment on the owner is always written by the mirror.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.db import insert_ignore
from b24app.i18n import N_, lang, long_date, points, t
from registry.bonuses.models import Notification
from registry.ledger.kinds import ACCRUALS, EntryKind
from registry.ledger.views import EntryView
from registry.program.document import Program
from registry.program.notifications import CHANNELS
from registry.program.templates import TemplateRefused
from registry.program.templates import render as render_bounded

NOTICE = "notification"  # the outbox kind that delivers a notification row
EVENT_OF_KIND = {  # a deal's own adjustment and a debt settlement stay quiet
    EntryKind.ACCRUAL: "accrued",
    EntryKind.MANUAL_ACCRUAL: "accrued",
    EntryKind.REQUEST_ACCRUAL: "accrued",
    EntryKind.WRITE_OFF: "written_off",
    EntryKind.REVERSAL: "reversed",
    EntryKind.EXPIRY: "expired",
    EntryKind.CORRECTION: "adjusted",
    EntryKind.CAMPAIGN: "campaign",
    EntryKind.CUSTOMER_EVENT: "accrued",
}
DEFAULT_TEMPLATES = {  # our Jinja sources (English msgids; the catalogs translate them)
    "accrued": N_(
        "You earned {{ amount }} bonuses. Balance: {{ balance }}."
        "{% if expires %} They are valid until {{ expires }}.{% endif %}"
    ),
    "written_off": N_("{{ amount }} bonuses were spent. Balance: {{ balance }}."),
    "reversed": N_("{{ amount }} bonuses were cancelled. Balance: {{ balance }}."),
    "adjusted": N_("Your bonus balance changed by {{ amount }}. Balance: {{ balance }}."),
    "expiring": N_("{{ amount }} bonuses expire on {{ expires }}: spend them before then."),
    "expired": N_("{{ amount }} bonuses expired. Balance: {{ balance }}."),
    "campaign": N_(
        "You received {{ amount }} bonuses: {{ description }}. Balance: {{ balance }}."
        "{% if expires %} They are valid until {{ expires }}.{% endif %}"
    ),
    "level_changed": N_(  # values: level, percent, previous (registry.bonuses.tiers)
        "{% if level %}Your bonus level is now {{ level }}: {{ percent }}% of each purchase comes back"
        " as bonuses.{% else %}Your bonus level {{ previous }} has ended.{% endif %}"
    ),
}


def template_for(event: str, language: str, overrides: dict[str, Any] | None = None) -> str:
    """The template source: the portal's own for this event and language, else ours."""
    code = lang(language)
    return str(((overrides or {}).get(event) or {}).get(code) or t(code, DEFAULT_TEMPLATES[event]))


def render_text(event: str, language: str, source: str, values: dict[str, Any]) -> tuple[str, str | None]:
    """The message text, and why the portal's template was set aside when it was (ours is used then).

    Bounded in time and size (``registry.templates``); never call it inside a transaction.
    """
    try:
        return render_bounded(source, values), None
    except TemplateRefused as exc:
        default = t(language, DEFAULT_TEMPLATES[event])
        return render_bounded(default, values), f"template refused, ours sent: {exc}"[:255]


def render(event: str, language: str, values: dict[str, Any], overrides: dict[str, Any] | None = None) -> str:
    """The message text; a portal's own template wins over ours, a broken value renders empty."""
    return render_text(event, language, template_for(event, language, overrides), values)[0]


def values_for(
    amount: Decimal, balance: Decimal | None, expires: datetime | None, language: str
) -> dict[str, Any]:
    return {
        "amount": points(abs(amount), language),
        "balance": points(balance, language) if balance is not None else "",
        "expires": long_date(expires, language) if expires else "",
    }


@dataclass(frozen=True)
class Draft:
    """What a notification will say, before it is rendered: the template, its values, the language."""

    template: str
    values: dict[str, Any]
    language: str

    def stored(self) -> dict[str, Any]:
        return {"values": self.values, "language": self.language}


def plan(
    session: Session,
    portal_id: int,
    program: Program,
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
    settings = program.notifications
    channels = list((settings.get("channels") or {}).get(event) or [])
    if forced == "none":
        return False
    if forced in CHANNELS:
        channels = [forced, *[c for c in channels if c != forced]]
    if not channels:
        return False
    draft = Draft(template_for(event, language, settings.get("templates")), values, lang(language))
    return owe(
        session, portal_id, subject=subject, event=event, channels=channels, owner=owner, draft=draft, now=now
    )


def render_row(n: Notification) -> tuple[str, str | None]:
    """A planned row's text (see ``render_text``)."""
    stored = n.template_values or {}
    values, language = dict(stored.get("values") or {}), str(stored.get("language") or "en")
    return render_text(n.event, language, str(n.template or ""), values)


def owe(
    session: Session,
    portal_id: int,
    *,
    subject: str,
    event: str,
    channels: list[str],
    owner: tuple[str, int],
    now: datetime,
    text: str | None = None,
    draft: Draft | None = None,
) -> bool:
    """One pending row for ``channels[0]``, remembering the rest as fallbacks; False if owed before.

    It holds either the rendered ``text`` (a fallback of a row already rendered) or the ``draft``.
    """
    row = {
        "portal_id": portal_id,
        "subject": subject,
        "event": event,
        "channel": channels[0],
        "fallbacks": {"next": channels[1:]},
        "owner_type": owner[0],
        "owner_id": owner[1],
        "text": text,
        "template": draft.template if draft else None,
        "template_values": draft.stored() if draft else None,
        "status": "pending",
        "created_at": now,
    }
    if not insert_ignore(session, Notification.__table__, row):
        return False
    return _owe_delivery(session, portal_id, subject, event, channels[0], now)


def _owe_delivery(
    session: Session, portal_id: int, subject: str, event: str, channel: str, now: datetime
) -> bool:
    """The outbox message that delivers the new row (registry.messages.notifications)."""
    notice_id = session.execute(
        select(Notification.id).where(
            Notification.portal_id == portal_id,
            Notification.subject == subject,
            Notification.event == event,
            Notification.channel == channel,
        )
    ).scalar_one()
    key = f"notice:{notice_id}"
    return outbox.add(session, portal_id=portal_id, kind=NOTICE, key=key, payload={"id": notice_id}, now=now)


def plan_for_entries(
    session: Session,
    portal_id: int,
    program: Program,
    entries: Sequence[EntryView],
    language: str,
    now: datetime,
    forced: str | None = None,
) -> None:
    """What new ledger entries tell the client (held accruals wait for their activation)."""
    for e in entries:
        event = EVENT_OF_KIND.get(EntryKind(e.kind))
        if event is None or e.state == "pending":
            continue
        values = values_for(e.amount, e.balance_after, e.expires_at if e.kind in ACCRUALS else None, language)
        if e.kind == EntryKind.CAMPAIGN:
            values["description"] = e.reason or ""
        plan(
            session,
            portal_id,
            program,
            event=event,
            subject=f"entry:{e.id}",
            owner=(e.owner_type, e.owner_id),
            values=values,
            language=language,
            now=now,
            forced=forced,
        )
