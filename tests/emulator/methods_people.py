"""People: user.get, user.admin, department.get, access.name over the portal's users and structure."""

from __future__ import annotations

import re
from typing import Any

from tests.emulator import listing
from tests.emulator.portal import Portal
from tests.emulator.protocol import B24Error, CallContext, Page, method

USER_TYPES = {
    "ID": "integer",
    "ACTIVE": "boolean",
    "NAME": "string",
    "LAST_NAME": "string",
    "SECOND_NAME": "string",
    "EMAIL": "string",
    "WORK_POSITION": "string",
    "PERSONAL_BIRTHDAY": "date",
    "UF_DEPARTMENT": "integer[]",
    "USER_TYPE": "string",
    "IS_ONLINE": "boolean",
}
DEPARTMENT_TYPES = {
    "ID": "integer",
    "NAME": "string",
    "SORT": "integer",
    "PARENT": "integer",
    "UF_HEAD": "integer",
}
USER_DEFAULTS = {
    "LAST_NAME": "",
    "SECOND_NAME": "",
    "EMAIL": "",
    "WORK_POSITION": "",
    "PERSONAL_BIRTHDAY": "",
}


def user_view(portal: Portal, user_id: int) -> dict[str, Any]:
    """A users-table row as user.get answers it (api-reference/user/user-get.md example)."""
    user = portal.users[user_id]
    view = {**USER_DEFAULTS, **{k: v for k, v in user.items() if k != "ADMIN"}}
    view.update(
        ID=str(user_id),
        ACTIVE=user_id not in portal.people.inactive,
        UF_DEPARTMENT=list(portal.people.membership.get(user_id, [])),
        USER_TYPE="employee",
        IS_ONLINE="N",
    )
    return view


def _user_filter(params: dict[str, Any]) -> dict[str, Any]:
    """FILTER/filter, plus filter keys given at the top level as the doc's examples do (UF_DEPARTMENT: 1)."""
    given = params.get("FILTER") or params.get("filter") or {}
    if not isinstance(given, dict):
        raise B24Error("INVALID_ARG_VALUE", "FILTER must be an object")
    top = {k: v for k, v in params.items() if listing.split_key(k)[1] in USER_TYPES}
    combined = {**top, **given}
    active = combined.pop("ACTIVE", None)
    if active is not None:  # "ACTIVE — when set to true, excludes terminated users"
        combined["ACTIVE"] = "Y" if str(active).lower() in ("1", "true", "y") else "N"
    return combined


@method("user.get")  # api-reference/user/user-get.md
def user_get(ctx: CallContext, params: dict[str, Any]) -> Page:
    rows = [user_view(ctx.portal, u) for u in sorted(ctx.portal.users)]
    for row in rows:
        row["ACTIVE"] = "Y" if row["ACTIVE"] else "N"  # compared as Y/N, answered as true/false below
    sort = str(params.get("sort") or params.get("SORT") or "ID").upper()
    order = {sort: str(params.get("order") or params.get("ORDER") or "ASC")}
    if sort not in USER_TYPES:
        order = {"ID": "ASC"}  # "Sorting works for all fields from user.add"; others sort by ID
    listed = listing.page(
        rows,
        {"filter": _user_filter(params), "order": order, "start": params.get("start")},
        USER_TYPES,
        result_key=None,
    )
    for row in listed.result:
        row["ACTIVE"] = row["ACTIVE"] == "Y"
    return listed


@method("user.admin")  # api-reference/common/users/user-admin.md
def user_admin(ctx: CallContext, params: dict[str, Any]) -> bool:
    return bool(ctx.portal.users.get(ctx.user_id, {}).get("ADMIN"))


def department_view(department: dict[str, Any]) -> dict[str, Any]:
    view = {"ID": str(department["ID"]), "NAME": department["NAME"], "SORT": int(department["SORT"])}
    if department.get("PARENT") is not None:  # the root department has no PARENT
        view["PARENT"] = str(department["PARENT"])
    if department.get("UF_HEAD") is not None:
        view["UF_HEAD"] = str(department["UF_HEAD"])
    return view


@method("department.get")  # api-reference/departments/department-get.md
def department_get(ctx: CallContext, params: dict[str, Any]) -> Page:
    rows = [department_view(d) for d in ctx.portal.people.departments.values()]
    filter_ = {k: v for k, v in params.items() if listing.split_key(k)[1] in DEPARTMENT_TYPES}
    sort = str(params.get("sort") or params.get("SORT_BY") or "ID").upper()
    order = {sort if sort in DEPARTMENT_TYPES else "ID": str(params.get("order") or "ASC")}
    start = params.get("START", params.get("start"))
    return listing.page(
        rows,
        {"filter": filter_, "order": order, "start": start},
        DEPARTMENT_TYPES,
        result_key=None,
        id_field="ID",
    )


def _access_entry(portal: Portal, code: str) -> dict[str, str] | None:
    """One access code's name; codes that do not exist are left out (access-name.md)."""
    match = re.fullmatch(r"(DR|D|U|G|SG)(\d+)", code)
    kind, number = (match.group(1), int(match.group(2))) if match else ("", 0)
    if code == "AU":
        return {"provider": "", "name": "All authorized users", "provider_id": "other"}
    if code == "G2":
        return {"provider": "", "name": "All visitors", "provider_id": "other"}
    if kind == "U" and number in portal.users:
        user = portal.users[number]
        name = " ".join(str(p) for p in (user.get("NAME"), user.get("LAST_NAME")) if p)
        return {"provider": "Employees", "name": name, "provider_id": "intranet"}  # [unverified] provider
    if kind in ("D", "DR") and number in portal.people.departments:
        name = str(portal.people.departments[number]["NAME"])
        suffix = "" if kind == "D" else " (with subdepartments)"  # [unverified] wording
        return {"provider": "Departments", "name": name + suffix, "provider_id": "intranet"}
    return None


@method("access.name")  # api-reference/common/system/access-name.md
def access_name(ctx: CallContext, params: dict[str, Any]) -> Any:
    codes = params.get("ACCESS") or params.get("access")
    if not codes:
        return False  # "If the parameter is not provided or is empty, the method returns false"
    listed = (
        list(codes.values()) if isinstance(codes, dict) else codes if isinstance(codes, list) else [codes]
    )
    entries = {str(c): _access_entry(ctx.portal, str(c)) for c in listed}
    return {code: entry for code, entry in entries.items() if entry is not None}
