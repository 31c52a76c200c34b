"""Web commands of the portal's inbound calls: verify the application token, record the call in the
inbox, flag the portal's lane — one transaction — then enqueue the lane job after the commit.

The web process never calls a portal here: deal events are hints the lane re-reads, robot calls are
verified with the portal by the lane, an uninstall is confirmed by the lane.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from b24app import inbox
from b24app.container import Container
from b24app.portals import verify_portal
from registry.bonuses.balance_guard import BALANCE_CHECK
from registry.bonuses.guard_inbox import recheck_items
from registry.bonuses.robots import CALLER_TOKEN
from registry.bonuses.target import load_requests_target, load_target

REQUEST_CODE = "bonus_request"

DedupKey = Callable[[int], str]  # a call's dedup key, from the verified portal's id


def record_deal_event(
    c: Container, member_id: str, app_token: str, event: str, deal_id: int, body: Any
) -> None:
    """A deal changed (or was deleted): the lane will read it."""
    _record(c, member_id, app_token, kind="deal", event=event, payload=body, subject_id=deal_id)


def record_client_event(
    c: Container, member_id: str, app_token: str, event: str, client_id: int, body: Any
) -> None:
    """A contact or company was added, changed or deleted: the lane reads it back for the mirror,
    and a change has its balance field checked against the ledger (a hand edit is rewritten)."""
    also = (BALANCE_CHECK,) if event.endswith("UPDATE") else ()  # the field may have been typed over
    _record(
        c, member_id, app_token, kind="client", event=event, payload=body, subject_id=client_id, also=also
    )


def record_uninstall(c: Container, member_id: str, app_token: str, clean: bool) -> None:
    """An ONAPPUNINSTALL claim: the lane acts on it once the portal confirms the app is gone."""
    _record(c, member_id, app_token, kind=inbox.UNINSTALL, event="ONAPPUNINSTALL", payload={"clean": clean})


def verify_only(c: Container, member_id: str, app_token: str) -> int:
    """The installed portal's id (Unauthorized otherwise), for an event we do not act on."""
    with c.db.transaction() as session:
        return verify_portal(session, member_id, app_token)


def record_robot_call(
    c: Container, member_id: str, app_token: str, code: str, payload: dict[str, Any]
) -> None:
    """A robot started on a document; a repeated delivery (same ``event_token``) is stored once."""
    token_key = hashlib.sha256(str(payload["event_token"]).encode()).hexdigest()
    _record(
        c,
        member_id,
        app_token,
        kind="request" if code == REQUEST_CODE else "robot",  # requests: registry/services/approval_step
        event=code,
        payload=payload,
        dedup_key=lambda portal_id: f"robot:{portal_id}:{token_key}",
    )


def record_item_move(
    c: Container, member_id: str, app_token: str, entity_type_id: int, item_id: int, caller: str | None
) -> bool:
    """A smart-process item changed: kept when it is a request's item (False: another type, ignored,
    and no lane is woken for it — our own registry items change often).

    The event's ``auth[access_token]`` is the acting user's (none when automation moved it): the
    lane asks the portal whose it is before a move counts as a decision.
    """
    with c.db.transaction() as session:
        portal_id = verify_portal(session, member_id, app_token)
        target = load_requests_target(session, portal_id)
        if target is None or target.entity_type_id != entity_type_id:
            return False
        payload: dict[str, Any] = {"entity_type_id": entity_type_id, "item_id": item_id}
        if caller:
            payload[CALLER_TOKEN] = caller  # verified with the portal by the lane, then erased
        inbox.record(
            session,
            portal_id=portal_id,
            kind="request_move",
            event="ONCRMDYNAMICITEMUPDATE",
            subject_id=item_id,
            payload=payload,
            received_at=c.clock.now(),
        )
        wake = c.lanes.flag_queued(session, portal_id)
    if wake:  # only after the commit: the job must find the row
        c.jobs.enqueue_lane(portal_id, force=True)
    return True


def record_registry_item(
    c: Container, member_id: str, app_token: str, event: str, entity_type_id: int, item_id: int
) -> bool:
    """A registry item was changed or deleted on the portal: the lane compares it with the ledger
    (False: not the registry's type, ignored)."""
    with c.db.transaction() as session:
        portal_id = verify_portal(session, member_id, app_token)
        target = load_target(session, portal_id)
        if target is None or target.entity_type_id != entity_type_id:
            return False
        recheck_items(session, portal_id, [item_id], c.clock.now(), event)  # DELETE in the name: gone
        wake = c.lanes.flag_queued(session, portal_id)
    if wake:  # only after the commit: the job must find the row
        c.jobs.enqueue_lane(portal_id, force=True)
    return True


def _record(
    c: Container,
    member_id: str,
    app_token: str,
    *,
    kind: str,
    event: str,
    payload: Any,
    subject_id: int | None = None,
    dedup_key: DedupKey | None = None,
    also: tuple[str, ...] = (),
) -> None:
    """Keep one call of a verified portal in its inbox (under ``kind`` and each of ``also``) and flag
    its lane; wake the lane after the commit."""
    with c.db.transaction() as session:
        portal_id = verify_portal(session, member_id, app_token)
        for each in (kind, *also):
            inbox.record(
                session,
                portal_id=portal_id,
                kind=each,
                event=event,
                subject_id=subject_id,
                dedup_key=dedup_key(portal_id) if dedup_key else None,
                payload=payload,
                received_at=c.clock.now(),
            )
        wake = c.lanes.flag_queued(session, portal_id)
    if wake:  # only after the commit: the job must find the row
        c.jobs.enqueue_lane(portal_id, force=True)
