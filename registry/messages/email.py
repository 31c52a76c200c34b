"""E-mail to a client as a CRM activity (crm.activity.add): sender, responsible user, and what a
found activity proves.

tutorials/crm/how-to-add-crm-objects/how-to-send-email.md: the mail leaves only when ``TYPE_ID=4``,
``DIRECTION=2`` and ``COMPLETED=Y`` come together; without ``SETTINGS.MESSAGE_FROM`` the portal
takes the responsible user's CRM mailbox, then the shared CRM mailbox, and with neither answers
``Email send error. "From" is not found`` — after saving the activity. So an activity found by
``ORIGIN_ID`` on a retry proves nothing by itself: only a completed one counts as sent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.gateway import Command, PortalCallError
from b24app.models import OutboxMessage
from b24app.outbox import Action, Outcome, Plan, Reads, Write
from registry.program.models import ProgramVersion

ENTITY_TYPE_ID = {"contact": 3, "company": 4}
SEND_ERROR = "Email send error"  # the portal's prefix: the activity exists, the mail did not leave
NO_SENDER_HINT = (
    "connect a CRM mailbox for the installing user or a shared CRM mailbox on the portal,"
    " or set notifications.email_from in the program"
)


def configured_sender(session: Session, portal_id: int) -> str | None:
    """The program's ``notifications.email_from`` ("Name <address>"), if the administrator set one."""
    document = (
        session.execute(
            select(ProgramVersion.document)
            .where(ProgramVersion.portal_id == portal_id)
            .order_by(ProgramVersion.version.desc())
            .limit(1)
        ).scalar_one_or_none()
        or {}
    )
    sender = (document.get("notifications") or {}).get("email_from")
    return (str(sender).strip() or None) if sender else None


def email_command(
    owner: tuple[str, int], address: str, text: str, origin: str, responsible: int, sender: str | None
) -> Command:
    """The crm.activity.add that sends the mail, from ``sender`` or the portal's CRM mailbox."""
    owner_type, owner_id = ENTITY_TYPE_ID[owner[0]], owner[1]
    settings = {"MESSAGE_FROM": sender, "DISABLE_SENDING_MESSAGE_COPY": "Y"} if sender else {}
    fields = {
        "OWNER_TYPE_ID": owner_type,
        "OWNER_ID": owner_id,
        "TYPE_ID": 4,
        "DIRECTION": 2,
        "COMPLETED": "Y",
        "RESPONSIBLE_ID": responsible,
        "SUBJECT": text[:60] or "-",
        "DESCRIPTION": text,
        "DESCRIPTION_TYPE": 1,
        "ORIGIN_ID": origin,
        "COMMUNICATIONS": [{"VALUE": address, "ENTITY_TYPE_ID": owner_type, "ENTITY_ID": owner_id}],
        **({"SETTINGS": settings} if settings else {}),
    }
    return Command("crm.activity.add", {"fields": fields})


def lookup_command(origin: str) -> Command:
    return Command("crm.activity.list", {"filter": {"ORIGIN_ID": origin}, "select": ["ID", "COMPLETED"]})


def found_activity(found: Any) -> tuple[str, bool] | None:
    """(id, whether the mail left) of the activity an earlier attempt saved, if any."""
    if not isinstance(found, list) or not found or not isinstance(found[0], dict):
        return None
    return str(found[0].get("ID")), str(found[0].get("COMPLETED")) == "Y"


def delete_command(activity_id: str) -> Command:
    """An unsent e-mail activity on the client's card is removed before sending again (the docs'
    advice: "otherwise the contact card keeps an e-mail the client never received")."""
    return Command("crm.activity.delete", {"id": activity_id})


def refusal(error: PortalCallError) -> str | None:
    """The permanent reason when the portal saved the activity but could not send (None: other)."""
    if not error.description.startswith(SEND_ERROR):
        return None
    hint = f" ({NO_SENDER_HINT})" if '"From"' in error.description else ""
    return f"{error.description}{hint}"[:250]


class UnsentMailKind:
    """``unsent_mail``: after an ``Email send error`` the portal keeps the saved activity, an e-mail
    the client never received; it is looked up by ``ORIGIN_ID`` and deleted (how-to-send-email.md)."""

    kind = "unsent_mail"

    def plan(self, session: Session, message: OutboxMessage) -> Plan:
        origin = str(message.payload["origin"])
        key = f"unsent:{origin}"
        return Plan(lambda reads: _remove_unsent(reads, key), reads={key: lookup_command(origin)})


def _remove_unsent(reads: Reads, key: str) -> Action:
    earlier = found_activity(reads.results.get(key))
    if earlier is None or earlier[1]:
        return Outcome()  # nothing saved, or it did leave after all: nothing to take back
    return Write(delete_command(earlier[0]), lambda _: Outcome(), _gone_or_retry)


def _gone_or_retry(error: PortalCallError) -> Outcome:
    return (
        Outcome()
        if error.description.startswith("Not found")
        else Outcome(error=error.code or error.description)
    )
