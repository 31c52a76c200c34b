"""Messaging, deal contacts, the offline event queue and the SMS sender registration."""

from __future__ import annotations

import secrets
from typing import Any

from tests.emulator.filters import as_page
from tests.emulator.portal import now_iso
from tests.emulator.protocol import B24Error, CallContext, method

OWNER_TYPES = {"D": "deals", "C": "contacts", "CO": "companies"}


def _deal(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    deal = ctx.portal.deals.get(int(str(params.get("id") or 0)))
    if deal is None:
        raise B24Error("", "Not found.")
    return deal


@method("crm.deal.contact.items.get")
def deal_contacts(ctx: CallContext, params: dict[str, Any]) -> list[dict[str, Any]]:
    deal = _deal(ctx, params)
    ids = deal.get("CONTACT_IDS") or ([deal["CONTACT_ID"]] if deal.get("CONTACT_ID") else [])
    return [
        {"CONTACT_ID": int(c), "SORT": 100 * (i + 1), "ROLE_ID": 0, "IS_PRIMARY": "Y" if i == 0 else "N"}
        for i, c in enumerate(ids)
    ]


def _responsible(ctx: CallContext, fields: dict[str, Any]) -> int:
    try:
        user_id = int(str(fields.get("RESPONSIBLE_ID")))
    except ValueError:
        user_id = 0
    if user_id not in ctx.portal.users:  # crm-activity-add.md: RESPONSIBLE_ID is required
        raise B24Error("", "The field RESPONSIBLE_ID is not defined or invalid")
    return user_id


def _has_sender(ctx: CallContext, fields: dict[str, Any], responsible: int) -> bool:
    """how-to-send-email.md: MESSAGE_FROM, else the responsible user's CRM mailbox, else the shared
    CRM mailbox; with none of them the mail cannot leave."""
    settings = fields.get("SETTINGS") if isinstance(fields.get("SETTINGS"), dict) else {}
    if str((settings or {}).get("MESSAGE_FROM") or "").strip():
        return True
    return responsible in ctx.portal.crm_mailboxes or ctx.portal.shared_crm_mailbox


@method("crm.activity.add")  # crm-activity-add.md, tutorials/crm/how-to-add-crm-objects/how-to-send-email.md
def activity_add(ctx: CallContext, params: dict[str, Any]) -> int:
    fields = dict(params.get("fields") or {})
    if not str(fields.get("SUBJECT") or "").strip():
        raise B24Error("", "The field SUBJECT is not defined or empty")
    responsible = _responsible(ctx, fields)
    communications = fields.get("COMMUNICATIONS") or []
    is_email = (str(fields.get("TYPE_ID")), str(fields.get("DIRECTION")), str(fields.get("COMPLETED"))) == (
        "4",
        "2",
        "Y",
    )
    if is_email and not communications:
        raise B24Error("", 'Email send error. "To" is not found')
    new_id = ctx.portal.next_id()
    row = {**fields, "ID": str(new_id), "CREATED": now_iso()}
    ctx.portal.activities_log.append(row)
    if is_email and not _has_sender(ctx, fields, responsible):
        # "The activity was created, the e-mail was not sent" (how-to-send-email.md). Unverified how
        # the cloud marks it; we keep it uncompleted, as a mail that never left (a scheduled e-mail).
        row["COMPLETED"] = "N"
        raise B24Error("", 'Email send error. "From" is not found')
    if is_email:  # only all three together send the mail
        ctx.portal.sent_emails.append(row)
    return new_id


@method("crm.activity.delete")  # api-reference/crm/timeline/activities/activity-base/crm-activity-delete.md
def activity_delete(ctx: CallContext, params: dict[str, Any]) -> bool:
    wanted = str(params.get("id") or params.get("ID") or "")
    kept = [a for a in ctx.portal.activities_log if a["ID"] != wanted]
    if len(kept) == len(ctx.portal.activities_log):
        raise B24Error("", "Not found.")
    ctx.portal.activities_log = kept
    return True


@method("crm.activity.list")
def activity_list(ctx: CallContext, params: dict[str, Any]) -> Any:
    return as_page(None, ctx.portal.activities_log, params)


def _entity(params: dict[str, Any]) -> tuple[str, int]:
    """CRM_ENTITY_TYPE as documented: lead, deal, company, contact in lower case; others match nothing."""
    return str(params.get("CRM_ENTITY_TYPE") or ""), int(str(params.get("CRM_ENTITY") or 0))


@method("imopenlines.crm.chat.get")  # api-reference/imopenlines/openlines/chats/imopenlines-crm-chat-get.md
def chat_get(ctx: CallContext, params: dict[str, Any]) -> list[dict[str, Any]]:
    active_only = str(params.get("ACTIVE_ONLY") or "Y").upper() != "N"  # "Default is Y"
    chats = ctx.portal.chats.get(_entity(params), [])
    return [
        {k: c[k] for k in ("CHAT_ID", "CONNECTOR_ID", "CONNECTOR_TITLE")}
        for c in chats
        if c.get("ACTIVE", True) or not active_only
    ]


@method("imopenlines.crm.message.add")  # …/openlines/messages/imopenlines-crm-message-add.md
def chat_message(ctx: CallContext, params: dict[str, Any]) -> int:
    for name in ("CRM_ENTITY_TYPE", "CRM_ENTITY", "USER_ID", "CHAT_ID", "MESSAGE"):
        if params.get(name) in (None, ""):
            raise B24Error("ERROR_ARGUMENT", f"Argument '{name}' is null or empty")
    chat_id = str(params.get("CHAT_ID") or "")
    if not any(c["CHAT_ID"] == chat_id for c in ctx.portal.chats.get(_entity(params), [])):
        raise B24Error("CHAT_NOT_IN_CRM", "Chat does not belong to the CRM entity being checked")
    # "the user or bot that must be a chat participant": anyone else gets CANCELED
    if int(str(params.get("USER_ID"))) not in ctx.portal.chat_members.get(chat_id, set()):
        raise B24Error("CANCELED", "You cannot send messages to the specified chat")
    new_id = ctx.portal.next_id()
    ctx.portal.chat_messages.append(
        {"ID": new_id, "CHAT_ID": chat_id, "MESSAGE": params.get("MESSAGE"), "USER_ID": params.get("USER_ID")}
    )
    return new_id


@method("im.notify.system.add")
def notify(ctx: CallContext, params: dict[str, Any]) -> int:
    if not params.get("USER_ID"):
        raise B24Error("USER_ID_EMPTY", "User ID can't be empty")
    new_id = ctx.portal.next_id()
    ctx.portal.notifications.append({"ID": new_id, **params})
    return new_id


@method("messageservice.sender.add", app_only=True)
def sender_add(ctx: CallContext, params: dict[str, Any]) -> bool:
    code = str(params.get("CODE") or "")
    if not code or not params.get("HANDLER"):
        raise B24Error("ERROR_SENDER_VALIDATION_FAILURE", "Empty CODE or HANDLER")
    if code in ctx.portal.senders:
        raise B24Error("ERROR_SENDER_ALREADY_INSTALLED", "Sender already installed")
    ctx.portal.senders[code] = dict(params)
    return True


def _administrator(ctx: CallContext) -> None:
    # api-reference/events/event-offline-get.md (and -clear, -error, -list): "Who can execute the
    # method: administrator"; anyone else gets 403 ACCESS_DENIED "Access denied!".
    if not (ctx.portal.users.get(ctx.user_id) or {}).get("ADMIN"):
        raise B24Error("ACCESS_DENIED", "Access denied!", 403)


@method("event.offline.get", app_only=True)
def offline_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    _administrator(ctx)
    queue = ctx.portal.app(ctx.client_id)
    limit = int(str(params.get("limit") or 50))
    clear = str(params.get("clear", "1")) in ("1", "Y", "true", "True")
    free = [e for e in ctx.portal.offline if e["client_id"] == queue.client_id and not e["process_id"]][
        :limit
    ]
    if clear:
        ctx.portal.offline = [e for e in ctx.portal.offline if e not in free]
        return {"process_id": None, "events": [_public(e) for e in free]}
    process_id = secrets.token_hex(8)
    for e in free:
        e["process_id"] = process_id
    return {"process_id": process_id, "events": [_public(e) for e in free]}


@method("event.offline.clear", app_only=True)
def offline_clear(ctx: CallContext, params: dict[str, Any]) -> bool:
    _administrator(ctx)
    process_id = str(params.get("process_id") or "")
    ids = {str(i) for i in (params.get("id") or params.get("message_id") or [])}
    ctx.portal.offline = [
        e
        for e in ctx.portal.offline
        if not (e["process_id"] == process_id and (not ids or str(e["ID"]) in ids or e["MESSAGE_ID"] in ids))
    ]
    return True


@method("event.offline.error", app_only=True)
def offline_error(ctx: CallContext, params: dict[str, Any]) -> bool:
    _administrator(ctx)
    ids = {str(i) for i in params.get("message_id") or []}
    for e in ctx.portal.offline:
        if e["process_id"] == str(params.get("process_id") or "") and e["MESSAGE_ID"] in ids:
            e["process_id"], e["ERROR"] = "", 1
    return True


@method("event.offline.list", app_only=True)
def offline_list(ctx: CallContext, params: dict[str, Any]) -> list[dict[str, Any]]:
    _administrator(ctx)
    return [_public(e) for e in ctx.portal.offline if e["client_id"] == ctx.client_id]


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in ("client_id", "process_id", "_object")}
