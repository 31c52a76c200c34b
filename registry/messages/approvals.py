"""Outbox kinds of approvals: the request's item in "Bonus requests" (created, or moved to the stage
of its status), approvers' notifications (``im.notify.system.add`` with a link to the request) and
the new values of the deal's product rows (``crm.item.productrow.update`` / ``.add``).

The item is looked up by ``xmlId = request:{id}`` before anything is written, so a retry never makes
a twin; when several messages are owed for one request, only the newest acts (it writes the status
the request has when it is planned) and the older ones end as superseded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from b24app import outbox
from b24app.gateway import Command, PortalCallError
from b24app.i18n import t
from b24app.models import OutboxMessage, Portal
from registry.bonuses import requests_texts
from registry.bonuses.request_models import ApprovalRequest
from registry.bonuses.target import RequestsTarget, load_requests_target

OWNER_FIELD = {"contact": "contactId", "company": "companyId"}
ITEM = "request_item"  # the portal object kind (key request:{id})


def _refused(error: PortalCallError) -> outbox.Outcome:
    return outbox.Outcome(error=f"{error.code}: {error.description}"[:500])


def _target(session: Session, portal_id: int) -> RequestsTarget:
    target = load_requests_target(session, portal_id)
    if target is None:
        raise outbox.NotReady("the requests smart process is not provisioned yet")
    return target


def _superseded(session: Session, message: OutboxMessage, request_id: int) -> bool:
    """Whether a newer item message of the same request is still pending (only the newest acts)."""
    newest = session.execute(
        select(func.max(OutboxMessage.id)).where(
            OutboxMessage.portal_id == message.portal_id,
            OutboxMessage.kind == ITEM,
            OutboxMessage.status == "pending",
            OutboxMessage.key.like(f"request_item:{request_id}:%"),
        )
    ).scalar_one()
    return newest is not None and newest > message.id


class RequestItemKind:
    """The request's item, in the stage of the request's status (created when missing)."""

    kind = "request_item"

    def plan(self, session: Session, message: OutboxMessage) -> outbox.Plan:
        request = session.get_one(ApprovalRequest, int(message.payload["request_id"]))
        if _superseded(session, message, request.id):
            return outbox.Plan(lambda _reads: outbox.Outcome())  # superseded by a newer message
        target = _target(session, message.portal_id)
        stage = target.stages[request.status]
        language = requests_texts.language_of(session, message.portal_id)
        fields = item_fields(request, stage, language)
        key = f"request:{request.id}"
        lookup = Command(
            "crm.item.list",
            {"entityTypeId": target.entity_type_id, "filter": {"=xmlId": key}, "select": ["id", "stageId"]},
        )

        def act(reads: outbox.Reads) -> outbox.Action:
            if key in reads.errors:
                return outbox.Outcome(error=f"lookup {reads.errors[key].code}")
            items = (reads.results.get(key) or {}).get("items") or []
            if items and items[0].get("stageId") == stage:
                return outbox.Outcome(remote_id=str(items[0]["id"]))
            if items:
                params = {
                    "entityTypeId": target.entity_type_id,
                    "id": int(items[0]["id"]),
                    "fields": {"stageId": stage},
                }
                item_id = str(items[0]["id"])
                return outbox.Write(
                    Command("crm.item.update", params), lambda _r: outbox.Outcome(remote_id=item_id), _refused
                )
            params = {"entityTypeId": target.entity_type_id, "fields": fields}
            return outbox.Write(Command("crm.item.add", params), _added, _refused)

        return outbox.Plan(act, {key: lookup})

    def remembered(self, message: OutboxMessage, remote_id: str) -> outbox.ObjectNote:
        return outbox.ObjectNote(ITEM, f"request:{message.payload['request_id']}", remote_id)


def _added(result: Any) -> outbox.Outcome:
    item = result.get("item") if isinstance(result, dict) else None
    return outbox.Outcome(remote_id=str(item["id"]) if item else None)


def item_fields(request: ApprovalRequest, stage: str, language: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": requests_texts.title(request, language),
        "xmlId": f"request:{request.id}",
        "stageId": stage,
        OWNER_FIELD[request.owner_type]: request.owner_id,  # no opportunity: ignored without products
    }
    if request.deal_id:
        fields["parentId2"] = request.deal_id
    return fields


class ApproverNoticeKind:
    """``im.notify.system.add`` to one approver, with a link that opens the app on the request."""

    kind = "approver_notice"

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        return None  # a notification cannot be looked up; a rare repeat is harmless

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        return None

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        request = session.get_one(ApprovalRequest, int(message.payload["request_id"]))
        portal = session.get_one(Portal, message.portal_id)
        link = f"https://{portal.domain}/marketplace/view/{self.client_id}/?params[request]={request.id}"
        language = requests_texts.language_of(session, message.portal_id)
        text = t(language, requests_texts.NOTICE).format(title=requests_texts.title(request, language))
        return Command(
            "im.notify.system.add",
            {
                "USER_ID": int(message.payload["user_id"]),
                "MESSAGE": f"{text} [URL={link}]{link}[/URL]",
                "TAG": f"bonus_request_{request.id}",
            },
        )

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        return str(result)


class RequestRowKind:
    """One product row of the deal set to the values stored with the request (or a free-units row added)."""

    kind = "request_row"

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        p = message.payload
        if p.get("row_id") is not None:
            return None  # absolute values: sending them again changes nothing
        params = {"filter": {"=ownerType": "D", "=ownerId": int(p["deal_id"])}}
        return Command("crm.item.productrow.list", params)

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        rows = (result or {}).get("productRows") if isinstance(result, dict) else None
        name = message.payload["fields"].get("productName")
        return next((str(r["id"]) for r in rows or [] if r.get("productName") == name), None)

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        p = message.payload
        if p.get("row_id") is not None:
            return Command("crm.item.productrow.update", {"id": int(p["row_id"]), "fields": p["fields"]})
        fields = {**p["fields"], "ownerType": "D", "ownerId": int(p["deal_id"])}
        return Command("crm.item.productrow.add", {"fields": fields})

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        row = result.get("productRow") if isinstance(result, dict) else None
        return str(row["id"]) if isinstance(row, dict) else None


def approval_kinds(client_id: str) -> tuple[Any, ...]:
    return (RequestItemKind(), ApproverNoticeKind(client_id), RequestRowKind())
