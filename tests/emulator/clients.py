"""Contacts and companies as crm.item.* sees them: camelCase fields over the crm.contact/company records.

The portal keeps one record per contact (``portal.contacts``, upper-case keys as crm.contact.* answers
them); crm.item.* with entityTypeId 3/4 reads and writes the same record through these maps
(api-reference/crm/universal/object-fields.md#contact, #company, and the old names of
api-reference/crm/contacts/crm-contact-fields.md).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.emulator.listing import parse_moment
from tests.emulator.protocol import B24Error

if TYPE_CHECKING:
    from tests.emulator.portal import Portal

# camelCase name -> (record key, type)
COMMON = {
    "id": ("ID", "integer"),
    "assignedById": ("ASSIGNED_BY_ID", "integer"),
    "createdBy": ("CREATED_BY_ID", "integer"),
    "updatedBy": ("MODIFY_BY_ID", "integer"),
    "createdTime": ("DATE_CREATE", "datetime"),
    "updatedTime": ("DATE_MODIFY", "datetime"),
    "lastActivityTime": ("LAST_ACTIVITY_TIME", "datetime"),
    "opened": ("OPENED", "boolean"),
    "comments": ("COMMENTS", "string"),
    "leadId": ("LEAD_ID", "integer"),
    "originatorId": ("ORIGINATOR_ID", "string"),
    "originId": ("ORIGIN_ID", "string"),
    "categoryId": ("CATEGORY_ID", "integer"),
    "hasPhone": ("HAS_PHONE", "boolean"),
    "hasEmail": ("HAS_EMAIL", "boolean"),
}
CONTACT = {
    **COMMON,
    "name": ("NAME", "string"),
    "lastName": ("LAST_NAME", "string"),
    "secondName": ("SECOND_NAME", "string"),
    "honorific": ("HONORIFIC", "string"),
    "post": ("POST", "string"),
    "birthdate": ("BIRTHDATE", "date"),
    "typeId": ("TYPE_ID", "string"),
    "sourceId": ("SOURCE_ID", "string"),
    "sourceDescription": ("SOURCE_DESCRIPTION", "string"),
    "export": ("EXPORT", "boolean"),
    "companyId": ("COMPANY_ID", "integer"),
    "companyIds": ("COMPANY_IDS", "integer[]"),
}
COMPANY = {
    **COMMON,
    "title": ("TITLE", "string"),
    "typeId": ("COMPANY_TYPE", "string"),
    "industry": ("INDUSTRY", "string"),
    "employees": ("EMPLOYEES", "string"),
    "revenue": ("REVENUE", "double"),
    "currencyId": ("CURRENCY_ID", "string"),
    "isMyCompany": ("IS_MY_COMPANY", "boolean"),
    "contactIds": ("CONTACT_ID", "integer[]"),
}
READ_ONLY = frozenset({"id", "createdBy", "updatedBy", "createdTime", "updatedTime", "lastActivityTime"})
DERIVED = frozenset({"hasPhone", "hasEmail"})
MULTIFIELDS = ("PHONE", "EMAIL", "WEB", "IM")
UF_TYPES = {
    "double": "double",
    "integer": "integer",
    "boolean": "uf_boolean",
    "date": "date",
    "datetime": "datetime",
}


def uf_camel(name: str) -> str:
    """``UF_CRM_BONUS_BALANCE`` -> ``ufCrmBonusBalance``; ``UF_CRM_1721244707107`` -> ``ufCrm_1721244707107``.

    The digits rule follows the docs' examples (crm-item-update.md ``ufCrm_1721244707107``).
    """
    parts = name.lower().split("_")
    out = parts[0]
    for part in parts[1:]:
        out += f"_{part}" if part[:1].isdigit() else part.capitalize()
    return out


def user_fields(portal: Portal, entity: str) -> dict[str, str]:
    """Original UF name -> its list type, for this entity's user fields."""
    return {
        str(f["FIELD_NAME"]): UF_TYPES.get(str(f.get("USER_TYPE_ID") or "string"), "string")
        for f in portal.userfields.get(f"CRM_{entity.upper()}", [])
    }


def _date(value: Any) -> str:
    return f"{parse_moment(value).date().isoformat()}T00:00:00+00:00"


def _boolean(value: Any) -> str:
    text = str(value).strip().upper()
    mapped = {"Y": "Y", "N": "N", "TRUE": "Y", "FALSE": "N", "1": "Y", "0": "N"}.get(text)
    if mapped is None:
        raise ValueError(value)
    return mapped


def _one(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if kind == "integer":
        return int(str(value))
    if kind == "double":
        return float(str(value))
    if kind == "date":
        return _date(value)
    if kind == "datetime":
        return parse_moment(value).isoformat()
    if kind == "boolean":
        return _boolean(value)
    if kind == "integer[]":
        values = value.values() if isinstance(value, dict) else value
        return [int(str(v)) for v in (values if isinstance(values, list | tuple) else [values])]
    return value


def typed(name: str, kind: str, value: Any) -> Any:
    """A written value as its type; CRM_FIELD_ERROR_VALUE_NOT_VALID otherwise (crm-item-add.md)."""
    try:
        return _one(kind, value)
    except (TypeError, ValueError) as exc:
        raise B24Error("CRM_FIELD_ERROR_VALUE_NOT_VALID", f'Invalid value for field "{name}"') from exc


def view_value(kind: str, value: Any) -> Any:
    """A stored value as crm.item answers it (ids as numbers, dates as ISO date-times)."""
    try:
        return _one(kind, value)
    except (TypeError, ValueError):
        return value


def multifields_view(record: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for type_id in MULTIFIELDS:
        for n, entry in enumerate(record.get(type_id) or []):
            if isinstance(entry, dict):
                out.append(
                    {
                        "id": entry.get("ID") or f"{type_id.lower()}{n}",
                        "typeId": type_id,
                        "valueType": entry.get("VALUE_TYPE") or "WORK",
                        "value": entry.get("VALUE"),
                    }
                )
    return out


def multifields_record(fm: Any) -> dict[str, list[dict[str, Any]]]:
    """``fm`` of crm.item.add -> the record's PHONE/EMAIL/... lists (crm_multifield)."""
    if not isinstance(fm, list):
        raise B24Error("100", "Expected iterable value for multiple field, but got string instead")
    out: dict[str, list[dict[str, Any]]] = {}
    for entry in fm:
        type_id = str((entry or {}).get("typeId") or "").upper()
        if type_id not in MULTIFIELDS or not str(entry.get("value") or "").strip():
            raise B24Error("CRM_FIELD_ERROR_VALUE_NOT_VALID", 'Invalid value for field "fm"')
        value_type = str(entry.get("valueType") or "WORK").upper()
        out.setdefault(type_id, []).append({"VALUE": str(entry["value"]), "VALUE_TYPE": value_type})
    return out


def uf_name_in(name: str, ufs: dict[str, str], original: bool) -> str | None:
    """The original UF name a written key means, or None when it is not one of this entity's UFs."""
    if original:
        return name if name in ufs else None
    return next((uf for uf in ufs if uf_camel(uf) == name), None)


def is_uf_key(name: str) -> bool:
    return bool(re.match(r"(UF_|uf[A-Z_])", name))
