"""crm.item.* for contacts (entityTypeId 3) and companies (4), with ONCRMCONTACT*/ONCRMCOMPANY* events.

The records are the ones crm.contact.* and crm.company.* keep (clients.py maps the names); the
events are the same ones those methods fire, with the acting user's tokens.
"""

from __future__ import annotations

import bisect
import builtins
from dataclasses import dataclass
from typing import Any

from tests.emulator import clients, item_events, listing, methods_crm
from tests.emulator.portal import Portal
from tests.emulator.protocol import B24Error, CallContext, Page


def _int(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError) as exc:
        raise B24Error("INVALID_ARG_VALUE", f"{name} is required") from exc


def _original(params: dict[str, Any]) -> bool:
    return str(params.get("useOriginalUfNames", "N")).upper() in ("Y", "TRUE", "1")


@dataclass(frozen=True)
class ClientKind:
    """crm.item.* for one of contact/company over ``methods_crm``'s records and events."""

    entity: str  # "contact" | "company"
    entity_type_id: int
    fields: dict[str, tuple[str, str]]

    def store(self, portal: Portal) -> dict[int, dict[str, Any]]:
        return portal.contacts if self.entity == "contact" else portal.companies

    def record(self, portal: Portal, params: dict[str, Any]) -> dict[str, Any]:
        record = self.store(portal).get(_int(params.get("id"), "id"))
        if record is None:
            raise B24Error("NOT_FOUND", "Element not found")  # crm-item-get.md
        return record

    # -- reading ----------------------------------------------------------------------------------
    def view(self, portal: Portal, record: dict[str, Any], original: bool) -> dict[str, Any]:
        item = {name: clients.view_value(kind, record.get(key)) for name, (key, kind) in self.fields.items()}
        item["hasPhone"] = "Y" if record.get("PHONE") else "N"
        item["hasEmail"] = "Y" if record.get("EMAIL") else "N"
        if self.entity == "contact" and not item["companyIds"] and item["companyId"]:
            item["companyIds"] = [item["companyId"]]  # a record written by crm.contact.* has one company
        for uf in clients.user_fields(portal, self.entity):
            item[uf if original else clients.uf_camel(uf)] = record.get(uf)
        item["fm"] = clients.multifields_view(record)
        item["entityTypeId"] = self.entity_type_id
        return item

    def types(self, portal: Portal, original: bool) -> dict[str, str]:
        kinds = {name: kind for name, (_, kind) in self.fields.items()}
        for uf, kind in clients.user_fields(portal, self.entity).items():
            kinds[uf if original else clients.uf_camel(uf)] = kind
        return kinds

    # -- writing ----------------------------------------------------------------------------------
    def written(self, portal: Portal, fields: Any, original: bool) -> dict[str, Any]:
        """Record keys and typed values of what was sent; unknown and read-only fields are ignored.

        crm-item-add.md: "An incorrect field in fields will be ignored".
        """
        if not isinstance(fields, dict):
            raise B24Error("100", "Required fields: fields")
        ufs, out = clients.user_fields(portal, self.entity), {}
        for name, value in fields.items():
            if name in self.fields and name not in clients.READ_ONLY | clients.DERIVED:
                key, kind = self.fields[name]
                out[key] = clients.typed(name, kind, value)
            elif (uf := clients.uf_name_in(name, ufs, original)) is not None:
                out[uf] = value
        if "fm" in fields:
            out.update(clients.multifields_record(fields["fm"]))
        self._check_links(portal, out)
        return out

    def _check_links(self, portal: Portal, out: dict[str, Any]) -> None:
        """Stricter (undocumented): a link to a user, company or contact that does not exist is refused."""
        if out.get("ASSIGNED_BY_ID") is not None and int(out["ASSIGNED_BY_ID"]) not in portal.users:
            raise B24Error("CRM_FIELD_ERROR_VALUE_NOT_VALID", 'Invalid value for field "assignedById"')
        if self.entity == "contact":
            _primary_company(out)
            refs, store, name = (
                [out.get("COMPANY_ID"), *(out.get("COMPANY_IDS") or [])],
                portal.companies,
                "companyIds",
            )
        else:
            refs, store, name = [*(out.get("CONTACT_ID") or [])], portal.contacts, "contactIds"
        if any(ref is not None and int(ref) not in store for ref in refs):
            raise B24Error("CRM_FIELD_ERROR_VALUE_NOT_VALID", f'Invalid value for field "{name}"')

    # -- changes (REST and driver) ----------------------------------------------------------------
    def create(
        self, portal: Portal, fields: Any, user_id: int | None, original: bool = False
    ) -> dict[str, Any]:
        """A new record; ``user_id`` None is automation (the event then carries no tokens)."""
        values = self.written(portal, fields, original)
        actor = item_events.AUTOMATION if user_id is None else user_id
        if user_id is not None:
            values.setdefault("ASSIGNED_BY_ID", user_id)  # crm-item-add.md: the calling user by default
        values.setdefault("OPENED", "Y")
        values.setdefault("CATEGORY_ID", 0)
        if self.entity == "company":
            values.setdefault("IS_MY_COMPANY", "N")
        values.update(CREATED_BY_ID=actor, MODIFY_BY_ID=actor)
        new_id = methods_crm.add_entity(portal, self.entity, values, user_id)
        return self.store(portal)[new_id]

    def change(
        self, portal: Portal, record: dict[str, Any], fields: Any, user_id: int | None, original: bool = False
    ) -> bool:
        """Save what really changed; nothing changed -> nothing saved, no event (crm-item-update.md)."""
        values = self.written(portal, fields, original)
        changed = {k: v for k, v in values.items() if not item_events.same(record.get(k), v)}
        if changed:
            changed["MODIFY_BY_ID"] = item_events.AUTOMATION if user_id is None else user_id
            methods_crm.update_entity(portal, self.entity, int(record["ID"]), changed, user_id)
        return bool(changed)

    # -- crm.item.* -------------------------------------------------------------------------------
    def add(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        original = _original(params)
        record = self.create(ctx.portal, params.get("fields"), ctx.user_id, original)
        return {"item": self.view(ctx.portal, record, original)}

    def get(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        original = _original(params)
        return {"item": self.view(ctx.portal, self.record(ctx.portal, params), original)}

    def list(self, ctx: CallContext, params: dict[str, Any]) -> Page:
        original = _original(params)
        types = self.types(ctx.portal, original)
        rows = self._rows(ctx.portal, params, types, original)
        select = params.get("select")
        if not (isinstance(select, list) and "*" in select):  # crm-item-list.md: fm only with select ['*']
            rows = [{k: v for k, v in r.items() if k != "fm"} for r in rows]
        return listing.page(rows, params, types, result_key="items")

    def _rows(
        self, portal: Portal, params: dict[str, Any], types: dict[str, str], original: bool
    ) -> builtins.list[dict[str, Any]]:
        """The rows ``listing.page`` filters. Only a speed-up, never a change of answer: for the first
        page in id order (``start=-1``, the documented way to page big lists), records are viewed
        in id order until 50 match, so a chain of pages over 10,000 clients stays fast."""
        records = self.store(portal)
        filter_, order = params.get("filter") or {}, params.get("order") or {"id": "ASC"}
        first_page = str(params.get("start")) == "-1" and order in ({"id": "ASC"}, {"id": "asc"})
        if not (first_page and isinstance(filter_, dict)):
            return [self.view(portal, r, original) for r in records.values()]
        listing.matches({}, filter_, types)  # refuses a bad filter exactly as ``page`` would
        after, ids, out = _after(filter_), sorted(records), []
        if after is None:
            return []  # ``>id`` of nothing (an empty batch reference) matches no row, as in ``listing``
        for record_id in ids[bisect.bisect_right(ids, after) :]:
            row = self.view(portal, records[record_id], original)
            if listing.matches(row, filter_, types):
                out.append(row)
                if len(out) == listing.PAGE_SIZE:
                    break
        return out

    def update(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        original, record = _original(params), self.record(ctx.portal, params)
        self.change(ctx.portal, record, params.get("fields"), ctx.user_id, original)
        return {"item": self.view(ctx.portal, record, original)}

    def delete(self, ctx: CallContext, params: dict[str, Any]) -> builtins.list[Any]:
        record = self.record(ctx.portal, params)
        methods_crm.delete_entity(ctx.portal, self.entity, int(record["ID"]), ctx.user_id)
        return []  # crm-item-delete.md: "Returns an empty array"


def _after(filter_: dict[str, Any]) -> int | None:
    """Ids at or below a top-level ``>id`` never match (conditions are ANDed): they are skipped unseen.
    None: the ``>id`` value is empty, so nothing matches."""
    if str(filter_.get("logic", "AND")).upper() == "OR" or ">id" not in filter_:
        return 0
    if filter_[">id"] in (None, ""):
        return None
    try:
        return int(str(filter_[">id"]))
    except ValueError:
        return 0


def _primary_company(out: dict[str, Any]) -> None:
    """companyId is the first of companyIds (object-fields.md#contact lists both).

    [inferred] Writing companyId alone makes it the contact's only company.
    """
    if "COMPANY_IDS" in out:
        ids = out["COMPANY_IDS"] or []
        out["COMPANY_ID"] = ids[0] if ids else None
    elif out.get("COMPANY_ID") is not None:
        out["COMPANY_IDS"] = [out["COMPANY_ID"]]


CONTACTS = ClientKind("contact", 3, clients.CONTACT)
COMPANIES = ClientKind("company", 4, clients.COMPANY)
item_events.SYSTEM_ITEMS[3] = CONTACTS  # api-reference/crm/universal/crm-item-*.md, entityTypeId 3
item_events.SYSTEM_ITEMS[4] = COMPANIES  # api-reference/crm/universal/crm-item-*.md, entityTypeId 4
