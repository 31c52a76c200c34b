"""The notification lane step: reach the client over e-mail, SMS or an open-line chat.

One round claims due notifications, renders the texts not rendered yet (outside any
transaction, bounded, stored before the first send so a retry says the same words), reads what it
needs about the owners in one batch (phones and e-mails from the card, open-line chats), sends
SMS through the gateway and the portal's messages in one more batch. A client who cannot be
reached on a channel (no phone, an invalid number, no chat, SMS not configured) is tried on the
next channel the program lists. A notification that fails for a reason of its own is retried
alone. Nothing personal is logged: ids, channels and reasons only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.gateway import BatchResult, Command
from b24app.lanes import LaneContext
from b24app.models import Portal
from b24app.sms import SmsError, SmsProvider
from registry.bonuses import notices
from registry.bonuses.models import Notification
from registry.messages.phones import InvalidPhone, to_e164

log = logging.getLogger(__name__)
CLAIM = 200
ENTITY_TYPE_ID = {"contact": 3, "company": 4}


@dataclass
class Outcome:
    status: str  # sent | retry | failed | skipped
    reason: str | None = None
    remote_id: str | None = None


class NotifyStep:
    def __init__(self, sms: SmsProvider | None) -> None:
        self.sms = sms

    def __call__(self, ctx: LaneContext) -> bool:
        now = ctx.clock.now()
        rows = _claim(ctx, now)
        if not rows:
            return False
        outcomes: dict[int, Outcome] = {}
        notes = _render(ctx, rows, outcomes)
        cards = ctx.client.batch_all(_reads(rows))
        sends: dict[str, Command] = {}
        with ctx.db.transaction() as session:
            user_id = session.get_one(Portal, ctx.portal_id).user_id or 1
        for n in rows:
            if n.id in outcomes:
                continue
            outcome = self._prepare_alone(n, cards, sends, user_id)
            if outcome is not None:
                outcomes[n.id] = outcome
        sent = ctx.client.batch_all(sends) if sends else BatchResult()
        for n in rows:
            if n.id not in outcomes:
                outcomes[n.id] = _portal_outcome(n, sent)
            if n.id in notes and outcomes[n.id].reason is None:  # a refused template stays on the row
                outcomes[n.id].reason = notes[n.id]
        _record(ctx, rows, outcomes, now)
        return True

    def _prepare_alone(
        self, n: Notification, cards: BatchResult, sends: dict[str, Command], user_id: int
    ) -> Outcome | None:
        """``_prepare`` for one row; an answer or a row it cannot read fails that row alone."""
        try:
            return self._prepare(n, cards, sends, user_id)
        except Exception as exc:  # noqa: BLE001 - one client's odd card must not hold up the others
            log.warning("notice.unprepared", extra={"portal_id": n.portal_id, "notice": n.id}, exc_info=True)
            sends.pop(f"n{n.id}", None)
            return Outcome("retry", f"{type(exc).__name__}: {exc}"[:200])

    def _prepare(
        self, n: Notification, cards: BatchResult, sends: dict[str, Command], user_id: int
    ) -> Outcome | None:
        card = cards.results.get(f"o{n.owner_type}{n.owner_id}") or {}
        if n.channel == "sms":
            return self._send_sms(n, card)
        if n.channel == "email":
            found = cards.results.get(f"a{n.id}")
            if isinstance(found, list) and found:
                return Outcome("sent", remote_id=str(found[0].get("ID")))  # sent before, response lost
            address = _first(card, "EMAIL")
            if address is None:
                return Outcome("skipped", "no e-mail on the card")
            sends[f"n{n.id}"] = _email(n, address)
            return None
        chats = cards.results.get(f"c{n.owner_type}{n.owner_id}") or []
        if not chats:
            return Outcome("skipped", "no open-line chat")
        params = {
            "CRM_ENTITY_TYPE": n.owner_type.upper(),
            "CRM_ENTITY": n.owner_id,
            "USER_ID": user_id,
            "CHAT_ID": chats[0]["CHAT_ID"],
            "MESSAGE": n.text,
        }
        sends[f"n{n.id}"] = Command("imopenlines.crm.message.add", params)
        return None

    def _send_sms(self, n: Notification, card: dict[str, Any]) -> Outcome:
        if self.sms is None:
            return Outcome("skipped", "SMS is not configured")
        raw = _first(card, "PHONE")
        if raw is None:
            return Outcome("skipped", "no phone on the card")
        try:
            phone = to_e164(raw)
        except InvalidPhone as exc:
            return Outcome("failed", f"invalid phone: {exc}")
        try:
            return Outcome(
                "sent", remote_id=self.sms.send(phone, _text(n), f"notice-{n.portal_id}-{n.id}")[:64]
            )
        except SmsError as exc:
            return Outcome("failed" if exc.permanent else "retry", f"{self.sms.name}: {exc}")


def _render(ctx: LaneContext, rows: list[Notification], outcomes: dict[int, Outcome]) -> dict[int, str]:
    """Texts of the rows planned but not rendered yet, rendered here (no transaction is open) and
    stored before anything is sent; returns why a portal's template was set aside, per row."""
    notes: dict[int, str] = {}
    rendered: list[dict[str, Any]] = []
    for n in rows:
        if n.text is not None:
            continue
        try:
            n.text, note = notices.render_row(n)
        except Exception as exc:  # noqa: BLE001 - a row we cannot render waits alone
            outcomes[n.id] = Outcome("retry", f"cannot render: {type(exc).__name__}: {exc}"[:200])
            continue
        rendered.append({"id": n.id, "text": n.text})
        if note:
            notes[n.id] = note
            log.warning("notice.template_refused", extra={"portal_id": n.portal_id, "notice": n.id})
    if rendered:
        with ctx.db.transaction() as session:
            session.execute(update(Notification), rendered)
    return notes


def next_due(session: Session, portal_id: int, now: datetime) -> datetime | None:
    """The earliest retry of a pending notification after ``now`` (a lane wake-up)."""
    at: datetime | None = session.execute(
        select(func.min(Notification.next_attempt_at)).where(
            Notification.portal_id == portal_id,
            Notification.status == "pending",
            Notification.next_attempt_at > now,
        )
    ).scalar_one()
    return at


def _claim(ctx: LaneContext, now: datetime) -> list[Notification]:
    with ctx.db.transaction() as session:
        rows = list(
            session.execute(
                select(Notification)
                .where(
                    Notification.portal_id == ctx.portal_id,
                    Notification.status == "pending",
                    Notification.next_attempt_at <= now,
                )
                .order_by(Notification.id)
                .limit(CLAIM)
            ).scalars()
        )
        for n in rows:
            n.attempts += 1
            n.next_attempt_at = now + outbox.backoff(n.attempts)
        return rows


def _reads(rows: list[Notification]) -> dict[str, Command]:
    reads: dict[str, Command] = {}
    for n in rows:
        owner = f"{n.owner_type}{n.owner_id}"
        if n.channel in ("sms", "email"):
            reads[f"o{owner}"] = Command(f"crm.{n.owner_type}.get", {"id": n.owner_id})
        if n.channel == "whatsapp":
            params = {"CRM_ENTITY_TYPE": n.owner_type.upper(), "CRM_ENTITY": n.owner_id}
            reads[f"c{owner}"] = Command("imopenlines.crm.chat.get", params)
        if n.channel == "email" and n.attempts > 1:  # a lost response may have sent it already
            reads[f"a{n.id}"] = Command(
                "crm.activity.list", {"filter": {"ORIGIN_ID": _origin(n)}, "select": ["ID"]}
            )
    return reads


def _email(n: Notification, address: str) -> Command:
    owner_type = ENTITY_TYPE_ID[n.owner_type]
    fields = {
        "OWNER_TYPE_ID": owner_type,
        "OWNER_ID": n.owner_id,
        "TYPE_ID": 4,
        "DIRECTION": 2,
        "COMPLETED": "Y",
        "SUBJECT": _text(n)[:60],
        "DESCRIPTION": _text(n),
        "DESCRIPTION_TYPE": 1,
        "ORIGIN_ID": _origin(n),
        "COMMUNICATIONS": [{"VALUE": address, "ENTITY_TYPE_ID": owner_type, "ENTITY_ID": n.owner_id}],
    }
    return Command("crm.activity.add", {"fields": fields})


def _text(n: Notification) -> str:
    return n.text or ""  # rendered by ``_render`` before anything is sent


def _origin(n: Notification) -> str:
    return f"bonus-notice-{n.id}"


def _first(card: Any, key: str) -> str | None:
    values = card.get(key) if isinstance(card, dict) else None
    for value in values if isinstance(values, list) else []:
        text = str((value or {}).get("VALUE") or "").strip()
        if text:
            return text
    return None


def _portal_outcome(n: Notification, sent: BatchResult) -> Outcome:
    error = sent.errors.get(f"n{n.id}")
    if error is not None:
        permanent = error.code in ("CHAT_NOT_IN_CRM",)
        return Outcome("skipped" if permanent else "retry", f"{error.code}: {error.description}"[:200])
    if f"n{n.id}" in sent.results:
        return Outcome("sent", remote_id=str(sent.results[f"n{n.id}"])[:64])
    return Outcome("retry", "no answer for the command")


def _record(ctx: LaneContext, rows: list[Notification], outcomes: dict[int, Outcome], now: datetime) -> None:
    with ctx.db.transaction() as session:
        for n in rows:
            o = outcomes[n.id]
            values: dict[str, Any] = {"error": (o.reason or None) and o.reason[:255]}
            if o.status == "sent":
                values.update(status="sent", sent_at=now, remote_id=o.remote_id)
                if n.channel == "sms":  # the text goes on the client's timeline too
                    _sms_on_timeline(session, n, now)
            elif o.status == "retry":
                first = n.first_failure_at or now
                gave_up = now - first >= outbox.GIVE_UP_AFTER
                values.update(first_failure_at=first, status="failed" if gave_up else "pending")
            else:
                values.update(status=o.status)
                _fall_back(session, n, now)
            session.execute(update(Notification).where(Notification.id == n.id).values(**values))
            log.info(
                "notice.outcome",
                extra={
                    "portal_id": n.portal_id,
                    "notice": n.id,
                    "channel": n.channel,
                    "status": values["status"],
                },
            )


def _sms_on_timeline(session: Session, n: Notification, now: datetime) -> None:
    payload = {"entity_type": n.owner_type, "entity_id": n.owner_id, "text": f"SMS: {n.text}"}
    outbox.add(session, portal_id=n.portal_id, kind="comment", key=f"sms:{n.id}", payload=payload, now=now)


def _fall_back(session: Session, n: Notification, now: datetime) -> None:
    rest = list((n.fallbacks or {}).get("next") or [])
    if rest:
        owner = (n.owner_type, n.owner_id)
        notices.owe(
            session,
            n.portal_id,
            subject=n.subject,
            event=n.event,
            channels=rest,
            owner=owner,
            text=n.text,
            now=now,
        )
