"""The level field typed over by hand: where the card's level text differs from the stored level,
the level's name is owed to the field again (read back by the guard with the balance field)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from b24app.models import OutboxMessage
from registry.bonuses.mirror import rearm
from registry.bonuses.tier_models import ClientLevel
from registry.bonuses.tiers import FIELD_KIND
from registry.program.document import Program


def level_field(program: Program) -> str | None:
    """The client field the program writes levels into (None: no tiers or no field)."""
    return program.tiers.field if program.tiers is not None and program.tiers.field else None


def repair_levels(
    session: Session, portal_id: int, program: Program, shown: dict[tuple[str, int], str], now: datetime
) -> list[str]:
    """Owe the level field again wherever the card shows another text than the client's stored level
    (clients whose level was never derived, or whose level write is still owed, are left alone)."""
    field = level_field(program)
    if field is None or program.tiers is None or not shown:
        return []
    stored = _stored(session, portal_id, shown)
    repaired: list[str] = []
    for (kind, owner_id), text in sorted(shown.items()):
        owner = f"{kind}:{owner_id}"
        if (kind, owner_id) not in stored or _owed(session, portal_id, owner):
            continue
        level = program.tiers.level(stored[(kind, owner_id)])
        name = level.name if level else ""
        if text.strip() != name:
            _owe(session, portal_id, {"owner": owner, "field": field, "value": name}, now)
            repaired.append(owner)
    return repaired


def _owe(session: Session, portal_id: int, payload: dict[str, str], now: datetime) -> None:
    """The level write once more, with the level's name now (a re-armed row keeps its old payload)."""
    key = f"level:{payload['owner']}:restore"
    rearm(session, portal_id, FIELD_KIND, key=key, payload=payload, now=now)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.portal_id == portal_id, OutboxMessage.key == key)
        .values(payload=payload)
    )


def _stored(
    session: Session, portal_id: int, shown: dict[tuple[str, int], str]
) -> dict[tuple[str, int], str | None]:
    rows = session.execute(
        select(ClientLevel.owner_type, ClientLevel.owner_id, ClientLevel.level_code).where(
            ClientLevel.portal_id == portal_id,
            ClientLevel.owner_id.in_(sorted({i for _, i in shown})),
        )
    )
    return {(str(t), int(i)): code for t, i, code in rows if (str(t), int(i)) in shown}


def _owed(session: Session, portal_id: int, owner: str) -> bool:
    """A level change's write not delivered yet (it writes the level anyway)."""
    pending = session.execute(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.portal_id == portal_id,
            OutboxMessage.kind == FIELD_KIND,
            OutboxMessage.status == "pending",
            OutboxMessage.key.startswith(f"level:{owner}:"),
        )
        .limit(1)
    ).first()
    return pending is not None
