"""Client messages through the portal's open lines (WhatsApp, Telegram connectors).

api-reference/imopenlines/openlines/messages/imopenlines-crm-message-add.md: the sender "must be a
chat participant and have access to the CRM item", otherwise ``CANCELED`` / ``ACCESS_DENIED``. So the
sender (the installing user) is first added with ``imopenlines.crm.chat.user.add`` (…/chats/
imopenlines-crm-chat-user-add.md; "already a member" answers ``WRONG_REQUEST``, which is fine), in
the same batch, just ahead of the message.

``imopenlines.crm.chat.get`` (…/chats/imopenlines-crm-chat-get.md) takes the documented lower-case
entity types. ``ACTIVE_ONLY`` defaults to ``Y`` (chats with an open session only); we ask for ``N``:
a conversation whose session an operator closed is still the client's WhatsApp or Telegram, and a
portal that refuses to post into it answers with an error that sends us to the next channel at once.
"""

from __future__ import annotations

from typing import Any

from b24app.gateway import Command

# What a chat's CONNECTOR_ID looks like per channel. The docs name only ``livechat`` and
# ``telegrambot``; WhatsApp connectors differ by provider (…whatsapp…), so we match by the word.
CONNECTOR_WORDS = {"whatsapp": "whatsapp", "telegram": "telegram"}
CHANNELS = tuple(CONNECTOR_WORDS)
# Refusals no retry can change: the chat is not this client's, the sender may not post, or the
# arguments are wrong (message-add.md's error table; MESSAGE_ADD_ERROR from the older docs).
REFUSALS = frozenset({"CHAT_NOT_IN_CRM", "CANCELED", "ACCESS_DENIED", "ERROR_ARGUMENT", "MESSAGE_ADD_ERROR"})


def chats_command(owner: tuple[str, int]) -> Command:
    params = {"CRM_ENTITY_TYPE": owner[0].lower(), "CRM_ENTITY": owner[1], "ACTIVE_ONLY": "N"}
    return Command("imopenlines.crm.chat.get", params)


def pick_chat(chats: Any, channel: str) -> str | None:
    """The newest chat whose connector is the channel asked for (WhatsApp is not Telegram)."""
    word = CONNECTOR_WORDS[channel]
    ids = [
        int(str(chat.get("CHAT_ID")))
        for chat in (chats if isinstance(chats, list) else [])
        if isinstance(chat, dict)
        and word in str(chat.get("CONNECTOR_ID") or "").lower()
        and str(chat.get("CHAT_ID") or "").isdigit()
    ]
    return str(max(ids)) if ids else None


def message_commands(owner: tuple[str, int], chat_id: str, sender: int, text: str) -> tuple[Command, Command]:
    """(join, post): the sender joins the chat, then posts the message."""
    where = {"CRM_ENTITY_TYPE": owner[0].lower(), "CRM_ENTITY": owner[1], "CHAT_ID": chat_id}
    join = Command("imopenlines.crm.chat.user.add", {**where, "USER_ID": sender})
    post = Command("imopenlines.crm.message.add", {**where, "USER_ID": sender, "MESSAGE": text})
    return join, post
