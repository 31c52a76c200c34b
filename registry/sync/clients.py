"""Contacts and companies read from the portal for the client mirror (``crm.item.list``, original UF
names): whole lists packed 50 pages to a batch, clients by id, changes since a time, all ids.

A full list is read as a chain: each batch holds 50 ``crm.item.list`` pages with ``start=-1``,
page k filtering ``>id`` on the last id of page k-1 (``$result[pk-1][items][49][id]``, batch.md's
reference syntax), so 10,000 clients cost 4 requests. The first short page ends the list; pages
after it are ignored whatever the portal made of their empty reference.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from b24app.gateway import Command, PortalClient
from b24app.gateway.client import BATCH_LIMIT
from registry.bonuses.clients import ClientRow
from registry.program.values import bounded_id
from registry.sync.client_names import joined

ENTITY = {"contact": 3, "company": 4}
FIELDS = {
    "contact": [
        "id",
        "createdTime",
        "updatedTime",
        "birthdate",
        "typeId",
        "sourceId",
        "assignedById",
        "companyIds",
        "name",  # the names only refresh client_names' rows (the main page), never the mirror
        "lastName",
    ],
    "company": ["id", "createdTime", "updatedTime", "typeId", "assignedById", "title"],
}
PAGE = 50


@dataclass(frozen=True)
class Listing:
    """What to list: one client type, its fields (with the UFs the program reads) and a filter."""

    client_type: str
    ufs: Sequence[str] = ()
    filter: dict[str, Any] | None = None
    ids_only: bool = False

    def command(self, after: int | str) -> Command:
        select = ["id"] if self.ids_only else [*FIELDS[self.client_type], *self.ufs]
        params = {
            "entityTypeId": ENTITY[self.client_type],
            "select": select,
            "filter": {**(self.filter or {}), ">id": after},
            "order": {"id": "ASC"},
            "start": -1,
            "useOriginalUfNames": "Y",
        }
        return Command("crm.item.list", params)


def chained_pages(
    client: PortalClient,
    listing: Listing,
    extras: dict[str, Any] | None = None,
    *,
    first_pages: int = BATCH_LIMIT,
) -> Iterator[list[dict[str, Any]]]:
    """Every page of ``listing``, 50 pages to a request (``first_pages`` in the first: a list that is
    usually short, like a catch-up, asks one page first and chains only when it is full, so the
    portal is not handed dozens of pages whose reference came out empty). ``extras`` ride in the
    first batch; their results replace the commands in the same dict before the first page."""
    last: int = 0
    pages = min(first_pages, BATCH_LIMIT - len(extras or {}))
    extra = dict(extras or {})
    while True:
        commands = {**extra}
        for k in range(pages):
            commands[f"p{k}"] = listing.command(
                last if k == 0 else f"$result[p{k - 1}][items][{PAGE - 1}][id]"
            )
        result = client.batch(commands)
        if extra and extras is not None:
            extras.update({label: result.results.get(label) for label in extra})
        for k in range(pages):
            rows = list((result.get(f"p{k}") or {}).get("items") or [])
            if rows:
                yield rows
            if len(rows) < PAGE:
                return
            last = int(rows[-1]["id"])
        extra, pages = {}, BATCH_LIMIT


def by_ids(
    client: PortalClient, client_type: str, ids: Sequence[int], ufs: Sequence[str]
) -> list[dict[str, Any]]:
    """The clients among ``ids`` that still exist: 50 ids to a list command, 50 commands to a request."""
    commands = {}
    for start in range(0, len(ids), PAGE):
        chunk = list(ids[start : start + PAGE])
        listing = Listing(client_type, ufs, {"@id": chunk})
        command = listing.command(0)
        commands[f"{client_type}{start}"] = command
    found: list[dict[str, Any]] = []
    result = client.batch_all(commands)
    for label in commands:
        found.extend((result.get(label) or {}).get("items") or [])
    return found


def parse_row(client_type: str, item: dict[str, Any], ufs: Sequence[str]) -> ClientRow | None:
    """A portal item as a mirror row; None when its id is not one (a row we cannot read is skipped)."""
    client_id = bounded_id(item.get("id"))
    if client_id is None:
        return None
    companies = item.get("companyIds") if client_type == "contact" else []
    return ClientRow(
        client_type,
        client_id,
        created_time=moment(item.get("createdTime")),
        updated_time=moment(item.get("updatedTime")),
        birthdate=day(item.get("birthdate")),
        type_id=_text(item.get("typeId")),
        source_id=_text(item.get("sourceId")),
        assigned_by_id=bounded_id(item.get("assignedById")),
        company_ids=[c for c in (bounded_id(v) for v in (companies or [])) if c is not None],
        uf={name: _plain(item.get(name)) for name in ufs if name in item},
        name=joined(item.get("title")) if client_type == "company" else _contact_name(item),
    )


def _contact_name(item: dict[str, Any]) -> str:
    return joined(item.get("name"), item.get("lastName"))


def moment(raw: Any) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def day(raw: Any) -> date | None:
    """A ``date`` field as typed on the portal: crm.item answers ``1990-05-17T00:00:00+03:00``, and the
    calendar date is the part before the time (never shifted to UTC)."""
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


def _text(raw: Any) -> str | None:
    return str(raw)[:50] if raw not in (None, "") else None


def _plain(raw: Any) -> Any:
    """A UF value as JSON keeps it (a list of values stays a list; anything else as text)."""
    if raw is None or isinstance(raw, bool | int | float | str):
        return raw
    if isinstance(raw, list):
        return [_plain(v) for v in raw]
    return str(raw)
