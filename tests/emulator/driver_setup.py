"""Setting a portal up as its admin would: catalog sections, products and units; users and departments."""

from __future__ import annotations

from typing import Any

from tests.emulator import methods_catalog
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator

# Units a bundle needs, by OKEI code: 359 day, 360 week, 362 month [unverified on a portal: look them
# up by title], 796 piece (seeded on every portal).
UNITS: dict[str, dict[str, Any]] = {
    "day": {
        "code": 359,
        "measureTitle": "Day",
        "symbol": "day",
        "symbolIntl": "d",
        "symbolLetterIntl": "DAY",
    },
    "week": {
        "code": 360,
        "measureTitle": "Week",
        "symbol": "wk",
        "symbolIntl": "wk",
        "symbolLetterIntl": "WEE",
    },
    "month": {
        "code": 362,
        "measureTitle": "Month",
        "symbol": "mo",
        "symbolIntl": "mo",
        "symbolLetterIntl": "MON",
    },
    "piece": {
        "code": 796,
        "measureTitle": "Piece",
        "symbol": "pcs",
        "symbolIntl": "pcs",
        "symbolLetterIntl": "PCE",
    },
}


# -- catalog --------------------------------------------------------------------------------------------
def add_section(emu: Emulator, portal: Portal, name: str, parent: int | None = None) -> int:
    with emu.lock:
        return int(methods_catalog.add_section(portal, name, parent)["id"])


def add_product(
    emu: Emulator,
    portal: Portal,
    name: str,
    *,
    section: int | None = None,
    measure_code: int | None = None,
    parent: int | None = None,
) -> int:
    """A catalog product; ``parent`` makes it a variation of that product."""
    with emu.lock:
        product = methods_catalog.add_product(
            portal, name, section=section, measure_code=measure_code, parent=parent
        )
        return int(product["id"])


def ensure_unit(emu: Emulator, portal: Portal, unit: str) -> int:
    """The unit ("day", "week", "month", "piece") exists; returns its code."""
    fields = UNITS[unit]
    with emu.lock:
        if portal.catalog.measure_by_code(fields["code"]) is None:
            methods_catalog.add_measure(portal, dict(fields))
    return int(fields["code"])


def add_measure(emu: Emulator, portal: Portal, **fields: Any) -> int:
    with emu.lock:
        return int(methods_catalog.add_measure(portal, fields)["id"])


# -- people ---------------------------------------------------------------------------------------------
def add_user(
    emu: Emulator,
    portal: Portal,
    name: str,
    *,
    last_name: str = "",
    admin: bool = False,
    departments: list[int] | None = None,
    active: bool = True,
) -> int:
    """An employee (in department 1 unless told otherwise); tokens for them come from issue_tokens."""
    with emu.lock:
        user_id = max(portal.users) + 1
        portal.users[user_id] = {
            "ID": str(user_id),
            "NAME": name,
            "LAST_NAME": last_name,
            "ADMIN": admin,
            "TIME_ZONE": "",
        }
        portal.people.membership[user_id] = list(departments if departments is not None else [1])
        if not active:
            portal.people.inactive.add(user_id)
        return user_id


def set_time_zone(emu: Emulator, portal: Portal, user_id: int, zone: str) -> None:
    """The user's own time zone (profile setting; "" = the portal's)."""
    with emu.lock:
        portal.users[user_id]["TIME_ZONE"] = zone


def set_admin(emu: Emulator, portal: Portal, user_id: int, admin: bool = True) -> None:
    with emu.lock:
        portal.users[user_id]["ADMIN"] = admin


def set_active(emu: Emulator, portal: Portal, user_id: int, active: bool) -> None:
    """Dismiss (or re-hire) an employee."""
    with emu.lock:
        if active:
            portal.people.inactive.discard(user_id)
        else:
            portal.people.inactive.add(user_id)


def add_department(
    emu: Emulator, portal: Portal, name: str, *, parent: int = 1, head: int | None = None
) -> int:
    with emu.lock:
        if parent not in portal.people.departments:
            raise KeyError(f"no department {parent}")
        department_id = max(portal.people.departments) + 1
        portal.people.departments[department_id] = {
            "ID": str(department_id),
            "NAME": name,
            "SORT": 500,
            "PARENT": str(parent),
            "UF_HEAD": str(head) if head is not None else None,
        }
        return department_id


def set_departments(emu: Emulator, portal: Portal, user_id: int, departments: list[int]) -> None:
    with emu.lock:
        portal.people.membership[user_id] = list(departments)


def grant_catalog(emu: Emulator, portal: Portal, user_id: int, level: str = "read") -> None:
    """The admin lets an employee read ("read") or edit ("write") the catalog (catalog/index.md)."""
    if level not in ("read", "write"):
        raise ValueError("level is 'read' or 'write'")
    with emu.lock:
        portal.people.catalog_rights[user_id] = level


def set_fidelity(
    emu: Emulator,
    portal: Portal,
    *,
    deleted: bool | None = None,
    crm_mailboxes: list[int] | None = None,
    shared_crm_mailbox: bool | None = None,
    offline_event_data: bool | None = None,
) -> None:
    """The portal's state the docs make the app cope with: deleted (500 PORTAL_DELETED), which users
    have a CRM mailbox (e-mail senders), and whether offline records carry the object's id."""
    with emu.lock:
        if deleted is not None:
            portal.deleted = deleted
        if crm_mailboxes is not None:
            portal.crm_mailboxes = set(crm_mailboxes)
        if shared_crm_mailbox is not None:
            portal.shared_crm_mailbox = shared_crm_mailbox
        if offline_event_data is not None:
            portal.offline_event_data = offline_event_data


def actions(emu: Emulator, portal: Portal, payload: dict[str, Any]) -> dict[str, Any]:
    """Control-API actions of this module."""
    return {
        "add_section": lambda: add_section(emu, portal, **payload),
        "add_product": lambda: add_product(emu, portal, **payload),
        "ensure_unit": lambda: ensure_unit(emu, portal, **payload),
        "add_measure": lambda: add_measure(emu, portal, **payload),
        "add_user": lambda: add_user(emu, portal, **payload),
        "set_admin": lambda: set_admin(emu, portal, **payload),
        "set_active": lambda: set_active(emu, portal, **payload),
        "add_department": lambda: add_department(emu, portal, **payload),
        "set_departments": lambda: set_departments(emu, portal, **payload),
        "grant_catalog": lambda: grant_catalog(emu, portal, **payload),
        "set_fidelity": lambda: set_fidelity(emu, portal, **payload),
    }
