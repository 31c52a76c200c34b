"""Closed bonuses stay closed, the ledger's side: a registry item read back from the portal is compared
with the entry it mirrors; what differs is owed again (the ledger's values put back, a deleted item
re-created) with a timeline note and a notification to the administrator, all through the outbox.

Our own writes come back as the same events; they are recognised by comparison, never by who made
them: an item that already shows the ledger's values owes nothing, so nothing is written and no
further event follows (crm-item-update.md: an update that changes nothing is not saved).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.models import OutboxMessage, Portal, PortalObject
from registry.bonuses import guard_texts, mirror
from registry.bonuses.items import item_fields
from registry.bonuses.target import RegistryTarget
from registry.bonuses.texts import portal_language
from registry.ledger.views import EntryView, entry_views
from registry.program.values import bounded_id

ITEM = "registry_item"  # the portal object kind of a registry item (key entry:{id})
OWNER_TYPE_IDS = {"contact": 3, "company": 4}


def entries_of(session: Session, portal_id: int, item_ids: Sequence[int]) -> dict[int, int]:
    """Registry item id -> the ledger entry it mirrors (items we never made are not ours to guard)."""
    rows = session.execute(
        select(PortalObject.remote_id, PortalObject.key).where(
            PortalObject.portal_id == portal_id,
            PortalObject.kind == ITEM,
            PortalObject.remote_id.in_([str(i) for i in item_ids]),
        )
    ).all()
    return {int(remote): int(key.removeprefix("entry:")) for remote, key in rows}


def _same(have: Any, want: Any) -> bool:
    """Equal as the portal stores them: numbers by value, dates by their calendar day, ids as text."""
    if have in (None, "") and want in (None, ""):
        return True
    try:
        return Decimal(str(have)) == Decimal(str(want))
    except (InvalidOperation, ValueError):
        pass
    text_have, text_want = str(have if have is not None else ""), str(want if want is not None else "")
    if len(text_want) == 10 and text_want[4] == "-":  # a date: the portal answers it with a time
        return text_have[:10] == text_want
    return text_have == text_want


def differences(item: dict[str, Any], expected: dict[str, Any], *, stage_owed: bool) -> list[str]:
    """The fields the item shows otherwise than the ledger. The stage is skipped while a stage move
    of ours is still owed (the item then lags behind the ledger by our own doing); the title is a
    label in the portal's language, not a fact of the ledger (a put-back writes it all the same)."""
    skipped = {"title", "stageId"} if stage_owed else {"title"}
    return [
        name for name, want in expected.items() if name not in skipped and not _same(item.get(name), want)
    ]


def _stage_owed(session: Session, portal_id: int, entry_id: int) -> bool:
    status = session.execute(
        select(OutboxMessage.status).where(
            OutboxMessage.portal_id == portal_id, OutboxMessage.key == f"stage:{entry_id}"
        )
    ).scalar_one_or_none()
    return status == "pending"


@dataclass(frozen=True)
class Tamper:
    """A registry item found edited (``fields``) or deleted (``fields`` empty) by hand."""

    entry_id: int
    item_id: int
    fields: tuple[str, ...]
    user_id: int | None  # the item's updatedBy (unknown for a deletion)
    title: str


def find_edits(
    session: Session, portal_id: int, target: RegistryTarget, items: dict[int, dict[str, Any]]
) -> list[Tamper]:
    """The items read back that differ from their entries."""
    ours = entries_of(session, portal_id, list(items))
    views = {v.id: v for v in entry_views(session, sorted(set(ours.values())))}
    language = portal_language(session, portal_id)
    found: list[Tamper] = []
    for item_id, entry_id in ours.items():
        expected = item_fields(views[entry_id], target, language)
        changed = differences(items[item_id], expected, stage_owed=_stage_owed(session, portal_id, entry_id))
        if changed:
            user_id = bounded_id(items[item_id].get("updatedBy"))
            found.append(Tamper(entry_id, item_id, tuple(changed), user_id, str(expected["title"])))
    return found


def find_deletions(session: Session, portal_id: int, item_ids: Sequence[int]) -> list[Tamper]:
    ours = entries_of(session, portal_id, item_ids)
    views = {v.id: v for v in entry_views(session, sorted(set(ours.values())))}
    language = portal_language(session, portal_id)
    return [
        Tamper(entry_id, item_id, (), None, guard_texts.entry_title(views[entry_id], language))
        for item_id, entry_id in ours.items()
    ]


def owe_recreate(session: Session, portal_id: int, row: PortalObject, now: datetime) -> int:
    """The entry's item is gone: forget it and owe it again (stage moves wait for the new item)."""
    entry_id = int(row.key.removeprefix("entry:"))
    session.delete(row)
    mirror.rearm(session, portal_id, ITEM, key=f"item:{entry_id}", payload={"entry_id": entry_id}, now=now)
    return entry_id


def owe_repairs(
    session: Session,
    portal_id: int,
    target: RegistryTarget,
    found: Sequence[Tamper],
    names: dict[int, str],
    now: datetime,
) -> None:
    """Put each item back (or re-create it), note it on the timeline and tell the administrator."""
    admin = session.get_one(Portal, portal_id).user_id  # the installing administrator
    language = portal_language(session, portal_id)
    views = {v.id: v for v in entry_views(session, [t.entry_id for t in found])}
    for tamper in found:
        entry = views[tamper.entry_id]
        where = _put_back(session, portal_id, target, tamper, entry, now)
        who = names.get(tamper.user_id) if tamper.user_id else None
        who = who or (f"#{tamper.user_id}" if tamper.user_id else None)
        note = guard_texts.note(tamper.fields, who, tamper.title, target, language)
        stamp = f"{tamper.entry_id}:{now:%Y%m%dT%H%M%S.%f}"  # one note per repair, however quick
        payload = {"entity_type_id": where[0], "entity_id": where[1], **note}
        _owe(session, portal_id, "tamper_note", f"tamper_note:{stamp}", payload, now)
        if admin:
            text = guard_texts.notice(tamper.fields, who, tamper.title, entry, target, language)
            payload = {"user_id": admin, "text": text}
            _owe(session, portal_id, "tamper_notice", f"tamper_notice:{stamp}", payload, now)


def _put_back(
    session: Session, portal_id: int, target: RegistryTarget, tamper: Tamper, entry: EntryView, now: datetime
) -> tuple[int, int]:
    """Owe the item's put-back (or its re-creation); where its note goes: the item, or the client."""
    if tamper.fields:
        payload = {"entry_id": tamper.entry_id, "item_id": tamper.item_id}
        key = f"revert:{tamper.entry_id}"
        mirror.rearm(session, portal_id, "registry_revert", key=key, payload=payload, now=now)
        return target.entity_type_id, tamper.item_id
    row = _item_object(session, portal_id, tamper.entry_id)
    if row is not None:
        owe_recreate(session, portal_id, row, now)
    return OWNER_TYPE_IDS[entry.owner_type], entry.owner_id


def _owe(
    session: Session, portal_id: int, kind: str, key: str, payload: dict[str, Any], now: datetime
) -> None:
    outbox.add(session, portal_id=portal_id, kind=kind, key=key, payload=payload, now=now)


def _item_object(session: Session, portal_id: int, entry_id: int) -> PortalObject | None:
    return session.execute(
        select(PortalObject).where(
            PortalObject.portal_id == portal_id,
            PortalObject.kind == ITEM,
            PortalObject.key == f"entry:{entry_id}",
        )
    ).scalar_one_or_none()
