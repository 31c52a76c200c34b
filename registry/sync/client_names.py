"""Client names read from the portal for the main page: every client asked for in one batch request,
``crm.contact.list`` and ``crm.company.list`` filtered on their ids, only the name fields selected.

The dashboard names at most a few dozen clients, so each list is a single page (50 rows): one request
whatever the list holds, within the portal's rate budget.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from b24app.gateway import Command, PortalClient
from registry.program.values import bounded_id

PAGE = 50  # crm-contact-list.md: a page holds 50 records
METHODS = {  # api-reference/crm/contacts/crm-contact-list.md, companies/crm-company-list.md
    "contact": ("crm.contact.list", ["ID", "NAME", "LAST_NAME"]),
    "company": ("crm.company.list", ["ID", "TITLE"]),
}
Owner = tuple[str, int]
log = logging.getLogger(__name__)


def name_commands(owners: Sequence[Owner]) -> dict[str, Command]:
    """One list command per client type asked for, its ids as an ``@ID`` filter (a page's worth)."""
    commands = {}
    for owner_type, (method, fields) in METHODS.items():
        ids = sorted({i for t, i in owners if t == owner_type})[:PAGE]
        if ids:
            commands[owner_type] = Command(method, {"filter": {"@ID": ids}, "select": fields, "start": 0})
    return commands


def read_names(client: PortalClient, owners: Sequence[Owner]) -> dict[Owner, str]:
    """The names of ``owners`` the portal returned (a client it does not have is left out)."""
    commands = name_commands(owners)
    if not commands:
        return {}
    result = client.batch(commands)
    limited = result.limited()
    if limited is not None:
        raise limited  # the commands were not run: the lane waits and reads again
    found: dict[Owner, str] = {}
    for owner_type in commands:
        if owner_type in result.errors:  # refused (e.g. no read access): "Contact #N" until the next day
            log.warning(
                "client_names.refused",
                extra={"method": commands[owner_type].method, "code": result.errors[owner_type].code},
            )
            continue
        for item in result.results.get(owner_type) or []:
            owner_id = bounded_id(item.get("ID"))
            name = display_name(owner_type, item)
            if owner_id is not None and name:
                found[(owner_type, owner_id)] = name
    return found


def display_name(owner_type: str, item: dict[str, Any]) -> str:
    """A contact's first and last name, a company's title (crm.contact/company.list's field names)."""
    if owner_type == "company":
        return joined(item.get("TITLE"))
    return joined(item.get("NAME"), item.get("LAST_NAME"))


def joined(*parts: Any) -> str:
    """The parts of a name that are not blank, with a space between."""
    return " ".join(str(p).strip() for p in parts if p and str(p).strip())
