"""Customer groups' membership, worked out from the client mirror (session only).

By shop: every client of the given companies, now and future — the company itself and each contact
linked to it (the mirror keeps a contact's companies, so a contact created or linked later belongs
as soon as the mirror has it). By customer: the listed ``contact:ID`` / ``company:ID``. Other
features (bundles, offers) ask ``client_in_groups``; campaigns use ``member_of`` over rows they
already hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from registry.bonuses.audience import ClientRecord
from registry.bonuses.clients import record_of
from registry.ledger.posting import Owner
from registry.program.document import Program, current_program
from registry.program.groups import Group


def member_of(group: Group, client_type: str, client_id: int, company_ids: Sequence[int]) -> bool:
    """Whether one client (with its linked companies, for contacts) belongs to ``group``."""
    if group.by == "customer":
        return (client_type, client_id) in group.clients
    if client_type == "company":
        return client_id in group.companies
    return any(int(c) in group.companies for c in company_ids)


def in_any(groups: Sequence[Group], record: ClientRecord) -> bool:
    """Whether a mirrored client belongs to at least one of ``groups``."""
    return any(member_of(g, record.client_type, record.client_id, record.company_ids or []) for g in groups)


def client_in_groups(
    session: Session, portal_id: int, client: Owner, codes: Sequence[str], program: Program | None = None
) -> bool:
    """Whether ``client`` belongs to at least one of the groups ``codes`` (an empty list: everyone).

    A group code the program does not define matches no one. A contact the mirror has not seen yet
    belongs to by-customer groups that list it, and to no shop.
    """
    if not codes:
        return True
    program = program or current_program(session, portal_id)
    groups = [g for g in program.groups if g.code in set(codes)]
    record = record_of(session, portal_id, client.type, client.id)
    companies = list(record.company_ids or []) if record is not None else []
    return any(member_of(g, client.type, client.id, companies) for g in groups)
