"""Messages to employees and open-line chat helpers: im.notify.personal.add, imopenlines.crm.chat.*.

im.notify.system.add lives in methods_extra.py and is left as it was; both kinds of notification
land in ``portal.notifications`` and ``notifications_for`` reads them per user.
"""

from __future__ import annotations

from typing import Any

from tests.emulator.portal import Portal
from tests.emulator.protocol import B24Error, CallContext, method

CRM_ENTITY_TYPES = ("lead", "deal", "company", "contact")  # imopenlines-crm-chat-*.md
ATTACH_LIMIT = 60_000  # im-notify-personal-add.md: ATTACH_OVERSIZE over 60,000 characters


def _recipient(params: dict[str, Any]) -> int:
    try:
        user_id = int(str(params.get("USER_ID") or 0))
    except ValueError:
        user_id = 0
    if user_id <= 0:  # "The USER_ID parameter is not provided or USER_ID <= 0"
        raise B24Error("USER_ID_EMPTY", "User ID can't be empty")
    return user_id


@method("im.notify.personal.add")  # api-reference/chats/notifications/im-notify-personal-add.md
def notify_personal(ctx: CallContext, params: dict[str, Any]) -> int:
    user_id = _recipient(params)
    message = str(params.get("MESSAGE") or "").strip()  # "trims whitespace from the edges"
    if not message:
        raise B24Error("MESSAGE_EMPTY", "Message can't be empty")
    if len(str(params.get("ATTACH") or "")) > ATTACH_LIMIT:
        raise B24Error("ATTACH_OVERSIZE", "You have exceeded the maximum allowable size of attach")
    tag = params.get("TAG")
    if tag:  # "When adding a notification with an existing tag, other notifications will be removed"
        ctx.portal.notifications = [n for n in ctx.portal.notifications if n.get("TAG") != tag]
    new_id = ctx.portal.next_id()
    ctx.portal.notifications.append(
        {
            **params,
            "ID": new_id,
            "USER_ID": user_id,
            "MESSAGE": message,
            "KIND": "personal",
            "FROM_USER_ID": ctx.user_id,
        }
    )
    return new_id


def notifications_for(portal: Portal, user_id: int) -> list[dict[str, Any]]:
    """Test helper: what one employee received (system and personal), oldest first."""
    return [n for n in portal.notifications if str(n.get("USER_ID")) == str(user_id)]


def _crm_entity(params: dict[str, Any]) -> tuple[str, int] | None:
    """(type, id) of CRM_ENTITY_TYPE/CRM_ENTITY, None when either is missing; bad ids are errors."""
    kind, raw = str(params.get("CRM_ENTITY_TYPE") or "").lower(), params.get("CRM_ENTITY")
    if not kind or raw in (None, ""):
        return None
    try:
        return kind, int(str(raw))
    except ValueError as exc:
        raise B24Error("ERROR_ARGUMENT", "The value of an argument 'CRM_ENTITY' has an invalid type") from exc


# api-reference/imopenlines/openlines/chats/imopenlines-crm-chat-get-last-id.md
@method("imopenlines.crm.chat.getLastId")
def chat_last_id(ctx: CallContext, params: dict[str, Any]) -> int:
    entity = _crm_entity(params)
    if entity is None:
        raise B24Error("CRM_CHAT_EMPTY_CRM_DATA", "Empty CRM data")
    chats = ctx.portal.chats.get(entity, []) if entity[0] in CRM_ENTITY_TYPES else []
    if not chats:
        raise B24Error("CRM_CHAT_EMPTY_CRM_DATA", "Could not find CRM object")
    return int(chats[-1]["CHAT_ID"])


def _user_add_arguments(params: dict[str, Any]) -> tuple[tuple[str, int], int]:
    for name in ("CRM_ENTITY_TYPE", "CRM_ENTITY"):
        if params.get(name) in (None, ""):
            raise B24Error("ERROR_ARGUMENT", f"Argument '{name}' is null or empty")
    entity = _crm_entity(params)
    assert entity is not None
    if params.get("USER_ID") in (None, "", 0, "0"):
        raise B24Error("ERROR_ARGUMENT", "Argument 'Empty USER_ID' is null or empty")
    try:
        return entity, int(str(params["USER_ID"]))
    except ValueError as exc:
        raise B24Error("ERROR_ARGUMENT", "The value of an argument 'USER_ID' has an invalid type") from exc


# api-reference/imopenlines/openlines/chats/imopenlines-crm-chat-user-add.md
@method("imopenlines.crm.chat.user.add")
def chat_user_add(ctx: CallContext, params: dict[str, Any]) -> int:
    entity, user_id = _user_add_arguments(params)
    chats = ctx.portal.chats.get(entity, []) if entity[0] in CRM_ENTITY_TYPES else []
    wanted = str(params.get("CHAT_ID") or "")
    if not wanted and not chats:
        return 0  # "If CHAT_ID is not provided and no chat is found for the CRM object ... 0"
    chat_id = wanted or str(chats[-1]["CHAT_ID"])  # "By default, the last chat ... is used"
    if not any(str(c["CHAT_ID"]) == chat_id for c in chats):
        raise B24Error("CHAT_NOT_IN_CRM", "Chat does not belong to the CRM object being checked")
    if user_id not in ctx.portal.users or user_id in ctx.portal.people.inactive:
        raise B24Error("CRM_CHAT_USER_NOT_ACTIVE", "User not active")
    members = ctx.portal.chat_members.setdefault(chat_id, set())
    if user_id in members:
        raise B24Error("WRONG_REQUEST", "You don't have access or user already member in chat")
    members.add(user_id)
    return int(chat_id)
