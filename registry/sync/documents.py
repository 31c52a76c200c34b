"""Documents a robot names: ``document_id`` parsed and checked at the edge, the read each needs, and
the bonus owner found in what the portal answered.

What a delivery carries is checked before anything is looked up: the document is a deal, contact,
company or smart-process item whose id fits the id columns and whose ``document_type`` agrees with
it (else ``UNSUPPORTED_DOCUMENT`` / ``DOCUMENT_NOT_FOUND``). A deal's bonus owner is its company or
contact, as the program says; contacts and companies own themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from b24app.gateway import Command
from registry.bonuses.deals import owner_of
from registry.bonuses.spending import Refused
from registry.ledger.posting import Owner
from registry.program.document import Program
from registry.program.values import bounded_id
from registry.sync.deals import snapshot_from_deal

# api-reference/bizproc/bizproc-activity/bizproc-activity-add.md: document types of the CRM module
DOCUMENT_CLASSES = {
    "DEAL": "CCrmDocumentDeal",
    "CONTACT": "CCrmDocumentContact",
    "COMPANY": "CCrmDocumentCompany",
    "DYNAMIC": "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic",
}


@dataclass(frozen=True)
class Document:
    kind: str  # deal | contact | company | item
    id: int
    entity_type_id: int = 0

    @property
    def label(self) -> str | None:
        """The batch label of the read this document needs, if any."""
        if self.kind == "deal":
            return f"d{self.id}"
        return f"i{self.entity_type_id}_{self.id}" if self.kind == "item" else None

    def read(self) -> Command | None:
        if self.kind == "deal":
            return Command("crm.deal.get", {"id": self.id})
        if self.kind == "item":
            return Command("crm.item.get", {"entityTypeId": self.entity_type_id, "id": self.id})
        return None


def parse_document(parts: Any, document_type: Any = None) -> Document:
    """``["crm", "CCrmDocumentDeal", "DEAL_12"]``, ``..."CONTACT_5"``, ``..."DYNAMIC_1032_7"``.

    Refused with ``UNSUPPORTED_DOCUMENT`` for another kind of document (or one whose
    ``document_type`` names another kind) and ``DOCUMENT_NOT_FOUND`` for an id no row can have.
    """
    if not isinstance(parts, list) or len(parts) != 3:
        raise Refused("UNSUPPORTED_DOCUMENT")
    module, document_class, name = (str(p) for p in parts)
    prefix, _, rest = name.partition("_")
    if module != "crm" or DOCUMENT_CLASSES.get(prefix) != document_class:
        raise Refused("UNSUPPORTED_DOCUMENT")
    if prefix == "DYNAMIC":
        return _item(module, document_class, rest, document_type)
    if document_type is not None and document_type != [module, document_class, prefix]:
        raise Refused("UNSUPPORTED_DOCUMENT")
    document_id = bounded_id(rest)
    if document_id is None:
        raise Refused("DOCUMENT_NOT_FOUND")
    return Document(prefix.lower(), document_id)


def _item(module: str, document_class: str, rest: str, document_type: Any) -> Document:
    """A smart-process item: ``DYNAMIC_{entityTypeId}_{id}``, typed ``DYNAMIC_{entityTypeId}``."""
    type_part, _, id_part = rest.partition("_")
    if document_type is not None and document_type != [module, document_class, f"DYNAMIC_{type_part}"]:
        raise Refused("UNSUPPORTED_DOCUMENT")
    entity_type_id, item_id = bounded_id(type_part), bounded_id(id_part)
    if entity_type_id is None or item_id is None:
        raise Refused("DOCUMENT_NOT_FOUND")
    return Document("item", item_id, entity_type_id)


def document_of(payload: dict[str, Any]) -> Document | Refused:
    try:
        return parse_document(payload.get("document_id"), payload.get("document_type"))
    except Refused as refused:
        return refused


def owner_of_document(
    doc: Document, data: Any, program: Program, now: datetime
) -> tuple[Owner, int | None, Decimal | None]:
    if doc.kind in ("contact", "company"):
        return Owner(doc.kind, doc.id), None, None
    if not isinstance(data, dict):
        raise Refused("DOCUMENT_NOT_FOUND")
    if doc.kind == "deal":
        deal = snapshot_from_deal(doc.id, data, now)
        owner = owner_of(deal, program)
        if owner is None:
            raise Refused("NO_CLIENT")
        return owner, doc.id, deal.amount
    item: dict[str, Any] = data["item"] if isinstance(data.get("item"), dict) else data
    company, contact = bounded_id(item.get("companyId")), bounded_id(item.get("contactId"))
    first = [("contact", contact), ("company", company)]
    if program.owner_preference == "company_first":
        first.reverse()
    for kind, owner_id in first:
        if owner_id:
            return Owner(kind, owner_id), None, None
    raise Refused("NO_CLIENT")
