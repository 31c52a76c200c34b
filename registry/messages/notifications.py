"""The outbox kind of client notifications: e-mail, SMS or an open-line chat, on the outbox machine.

A notification row (``registry.bonuses.models.Notification``) keeps its unique key and status; its
delivery is an outbox message ``notice:{id}``. Its text is rendered outside any transaction and
stored before the first send (a retry says the same words); what it needs about the owner (phones
and e-mails from the card, open-line chats, on a retry the e-mail already sent) are reads shared
with every other message; SMS go through the gateway outside any transaction, portal messages in
the shared write batches. A client who cannot be reached on a channel (no phone, an invalid number,
no chat, SMS not configured) is tried on the next channel the program lists — the kind's reaction
to a permanent refusal. Nothing personal is logged: ids, channels and reasons only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.gateway import Command, PortalCallError
from b24app.models import OutboxMessage, Portal
from b24app.outbox import Action, Deliver, Outcome, Plan, Reads, Write
from b24app.sms import SmsError, SmsProvider
from registry.bonuses import notices
from registry.bonuses.models import Notification
from registry.messages import email, openlines
from registry.messages.phones import InvalidPhone, to_e164

log = logging.getLogger(__name__)


@dataclass
class Notice:
    """One notification as this round sees it (detached), and how it ended."""

    id: int
    portal_id: int
    channel: str
    event: str
    subject: str
    owner_type: str
    owner_id: int
    text: str | None
    row: Notification
    user_id: int
    attempts: int
    status: str = "retry"  # sent | retry | failed | skipped
    reason: str | None = None
    note: str | None = None  # why the portal's template was set aside (ours was sent)
    remote_id: str | None = None
    sender: str | None = None  # the program's e-mail sender; None: the portal's CRM mailbox

    def ended(self, status: str, reason: str | None = None, remote_id: str | None = None) -> Outcome:
        self.status, self.reason, self.remote_id = status, reason, remote_id
        if status == "retry":
            return Outcome(error=reason or "retry")
        return Outcome(remote_id=remote_id)


class NotificationKind:
    """``notification`` messages: one per notification row and channel."""

    kind = notices.NOTICE

    def __init__(self, sms: SmsProvider | None) -> None:
        self.sms = sms

    def plan(self, session: Session, message: OutboxMessage) -> Plan:
        row = session.get(Notification, int(message.payload["id"]))
        if row is None or row.status != "pending":
            return Plan(lambda _: Outcome())  # settled already (or gone with an uninstall)
        user_id = session.get_one(Portal, row.portal_id).user_id or 1
        n = Notice(
            row.id,
            row.portal_id,
            row.channel,
            row.event,
            row.subject,
            row.owner_type,
            row.owner_id,
            row.text,
            row,
            user_id,
            message.attempts,
        )
        if n.channel == "email":
            n.sender = email.configured_sender(session, n.portal_id)
        session.expunge(row)
        return Plan(
            lambda reads: self._act(n, reads),
            reads=_reads(n),
            prepare=(lambda: _render(n)) if n.text is None else None,
            keep=lambda s: _keep(s, n),
            settle=lambda s, outcome, final, now: _settle(s, n, outcome, final, now),
        )

    def _act(self, n: Notice, reads: Reads) -> Action:
        card = reads.results.get(_card_key(n)) or {}
        if n.channel == "sms":
            return self._sms(n, card)
        if n.channel == "email":
            return _email(n, card, reads)
        return _open_line(n, reads.results.get(_chats_key(n)))

    def _sms(self, n: Notice, card: dict[str, Any]) -> Action:
        if self.sms is None:
            return n.ended("skipped", "SMS is not configured")
        raw = _first(card, "PHONE")
        if raw is None:
            return n.ended("skipped", "no phone on the card")
        try:
            phone = to_e164(raw)
        except InvalidPhone as exc:
            return n.ended("failed", f"invalid phone: {exc}")
        sms = self.sms

        def send() -> Outcome:
            try:
                return n.ended(
                    "sent", remote_id=sms.send(phone, n.text or "", f"notice-{n.portal_id}-{n.id}")[:64]
                )
            except SmsError as exc:
                return n.ended("failed" if exc.permanent else "retry", f"{sms.name}: {exc}")

        return Deliver(send)


def _card_key(n: Notice) -> str:
    return f"card:{n.owner_type}:{n.owner_id}"


def _chats_key(n: Notice) -> str:
    return f"chats:{n.owner_type}:{n.owner_id}"


def _reads(n: Notice) -> dict[str, Command]:
    reads: dict[str, Command] = {}
    if n.channel in ("sms", "email"):
        reads[_card_key(n)] = Command(f"crm.{n.owner_type}.get", {"id": n.owner_id})
    if n.channel in openlines.CHANNELS:
        reads[_chats_key(n)] = openlines.chats_command((n.owner_type, n.owner_id))
    if n.channel == "email" and n.attempts > 1:  # a lost response may have saved (or sent) it already
        reads[f"sent:{n.id}"] = email.lookup_command(_origin(n))
    return reads


def _render(n: Notice) -> bool:
    """The planned text, rendered here (no transaction is open); kept before anything is sent."""
    n.text, n.note = notices.render_row(n.row)
    if n.note:
        log.warning("notice.template_refused", extra={"portal_id": n.portal_id, "notice": n.id})
    return True


def _keep(session: Session, n: Notice) -> None:
    session.execute(update(Notification).where(Notification.id == n.id).values(text=n.text))


def _email(n: Notice, card: dict[str, Any], reads: Reads) -> Action:
    earlier = email.found_activity(reads.results.get(f"sent:{n.id}"))
    if earlier is not None and earlier[1]:
        return n.ended("sent", remote_id=earlier[0])  # sent before, response lost
    if earlier is not None:  # saved, never sent: off the card, then sent anew at the next attempt
        removed = "an unsent e-mail activity was removed; sending again"
        return Write(
            email.delete_command(earlier[0]),
            lambda _: n.ended("retry", removed),
            lambda error: n.ended("retry", f"{error.code}: {error.description}"[:200]),
        )
    address = _first(card, "EMAIL")
    if address is None:
        return n.ended("skipped", "no e-mail on the card")
    command = email.email_command(
        (n.owner_type, n.owner_id), address, n.text or "", _origin(n), n.user_id, n.sender
    )
    return _portal_write(n, command)


def _open_line(n: Notice, chats: Any) -> Action:
    chat_id = openlines.pick_chat(chats, n.channel)
    if chat_id is None:
        return n.ended("skipped", f"no {n.channel} chat")
    join, post = openlines.message_commands((n.owner_type, n.owner_id), chat_id, n.user_id, n.text or "")
    write = _portal_write(n, post)
    return Write(write.command, write.done, write.refused, before=join)


def _portal_write(n: Notice, command: Command) -> Write:
    def done(result: Any) -> Outcome:
        return n.ended("sent", remote_id=str(result)[:64])

    def refused(error: PortalCallError) -> Outcome:
        if (reason := email.refusal(error)) is not None:  # saved but not sent: no retry can help
            return n.ended("failed", reason)
        # a refusal no retry changes: the next channel is tried at once
        status = "failed" if error.code in openlines.REFUSALS else "retry"
        return n.ended(status, f"{error.code}: {error.description}"[:200])

    return Write(command, done, refused)


def _origin(n: Notice) -> str:
    return f"bonus-notice-{n.id}"


def _first(card: Any, key: str) -> str | None:
    values = card.get(key) if isinstance(card, dict) else None
    for value in values if isinstance(values, list) else []:
        text = str((value or {}).get("VALUE") or "").strip()
        if text:
            return text
    return None


def _settle(session: Session, n: Notice, outcome: Outcome, final: str, now: datetime) -> None:
    """The notification row follows its delivery; a permanent refusal falls back to the next channel."""
    if n.status == "retry" and outcome.error is not None:
        n.reason = n.reason or outcome.error[:200]  # also a batch that found the portal unreachable
    values: dict[str, Any] = {"error": (n.reason or n.note or None) and (n.reason or n.note or "")[:255]}
    if n.status == "sent":
        values.update(status="sent", sent_at=now, remote_id=n.remote_id)
        if n.channel == "sms":  # the text goes on the client's timeline too
            payload = {"entity_type": n.owner_type, "entity_id": n.owner_id, "text": f"SMS: {n.text}"}
            outbox.add(
                session, portal_id=n.portal_id, kind="comment", key=f"sms:{n.id}", payload=payload, now=now
            )
    elif n.status == "retry":
        values.update(status="failed" if final == "failed" else "pending")
    else:
        values.update(status=n.status)
        _fall_back(session, n, now)
        if n.channel == "email" and n.status == "failed":  # the portal kept the unsent activity
            payload = {"origin": _origin(n)}
            outbox.add(
                session,
                portal_id=n.portal_id,
                kind=email.UnsentMailKind.kind,
                key=f"unsent:{n.id}",
                payload=payload,
                now=now,
            )
    session.execute(update(Notification).where(Notification.id == n.id).values(**values))
    extra = {"portal_id": n.portal_id, "notice": n.id, "channel": n.channel, "status": values["status"]}
    log.info("notice.outcome", extra=extra)


def _fall_back(session: Session, n: Notice, now: datetime) -> None:
    rest = list((n.row.fallbacks or {}).get("next") or [])
    if rest:
        notices.owe(
            session,
            n.portal_id,
            subject=n.subject,
            event=n.event,
            channels=rest,
            owner=(n.owner_type, n.owner_id),
            text=n.text,
            now=now,
        )
