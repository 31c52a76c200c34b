"""Portal state of the newer methods: per-table id sequences, catalog, people, the invoice pipeline."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Catalog ids from the docs' examples (api-reference/catalog/catalog/catalog-catalog-list.md).
PRODUCT_IBLOCK = 23
OFFER_IBLOCK = 24
SKU_PROPERTY = 97
# (id, code, title, symbol, letter code, default): a new portal's units (api-reference/catalog/measure/).
DEFAULT_MEASURES = [
    (1, 6, "Meter", "m", "MTR", "N"),
    (2, 112, "Liter", "l", "LTR", "N"),
    (3, 163, "Gram", "g", "GRM", "N"),
    (4, 166, "Kilogram", "kg", "KGM", "N"),
    (5, 796, "Piece", "pcs", "PCE", "Y"),
]
# Smart-invoice stages: DT31_{category}:N as in crm-item-add.md; S/P/D as on a new portal [unverified].
INVOICE_STAGES = [
    ("N", "New", None, 10),
    ("S", "Sent to client", None, 20),
    ("P", "Paid", "S", 30),
    ("D", "Declined", "F", 40),
]
# Status and category rows seeded here take ids far above the portal's shared counter, so seeding them
# does not shift the ids every existing test sees.
SEEDED_STATUS_IDS = 10**9
SEEDED_CATEGORY_IDS = 900


class Sequences:
    """One auto-increment per table, as a real portal's database has."""

    def __init__(self) -> None:
        self._counters: dict[str, Iterator[int]] = {}

    def next(self, table: str, start: int = 1) -> int:
        if table not in self._counters:
            self._counters[table] = itertools.count(start)
        return next(self._counters[table])


def _measure(row: tuple[int, int, str, str, str, str]) -> dict[str, Any]:
    measure_id, code, title, symbol, letters, default = row
    return {
        "id": measure_id,
        "code": code,
        "measureTitle": title,
        "symbol": symbol,
        "symbolIntl": symbol,
        "symbolLetterIntl": letters,
        "isDefault": default,
    }


def _catalogs() -> list[dict[str, Any]]:
    common = {"iblockTypeId": "CRM_PRODUCT_CATALOG", "lid": "s1", "subscription": "N", "vatId": 1}
    products = {"id": PRODUCT_IBLOCK, "iblockId": PRODUCT_IBLOCK, "name": "CRM product catalog"}
    offers = {"id": OFFER_IBLOCK, "iblockId": OFFER_IBLOCK, "name": "CRM product catalog (offers)"}
    return [
        {**common, **products, "productIblockId": None, "skuPropertyId": None},
        {**common, **offers, "productIblockId": PRODUCT_IBLOCK, "skuPropertyId": SKU_PROPERTY},
    ]


@dataclass
class CatalogState:
    """The trade catalog: two iblocks (products, offers), sections, products/variations, units."""

    catalogs: list[dict[str, Any]] = field(default_factory=_catalogs)
    sections: dict[int, dict[str, Any]] = field(default_factory=dict)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    measures: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {row[0]: _measure(row) for row in DEFAULT_MEASURES}
    )

    def measure_by_code(self, code: Any) -> dict[str, Any] | None:
        return next((m for m in self.measures.values() if str(m["code"]) == str(code)), None)

    def default_measure(self) -> dict[str, Any]:
        return next(m for m in self.measures.values() if m["isDefault"] == "Y")


@dataclass
class PeopleState:
    """The company structure and what the users table does not say: departments, activity, rights."""

    departments: dict[int, dict[str, Any]] = field(default_factory=dict)
    membership: dict[int, list[int]] = field(default_factory=dict)  # user id -> department ids
    inactive: set[int] = field(default_factory=set)  # dismissed users
    catalog_rights: dict[int, str] = field(default_factory=dict)  # user id -> "read" | "write"

    @classmethod
    def seeded(cls, user_ids: list[int], head: int) -> PeopleState:
        root = {"ID": "1", "NAME": "Company", "SORT": 500, "PARENT": None, "UF_HEAD": str(head)}
        return cls(departments={1: root}, membership={u: [1] for u in user_ids})


def seed_invoice_pipeline(
    sequences: Sequences, categories: dict[int, list[dict[str, Any]]], statuses: list[dict[str, Any]]
) -> int:
    """The smart invoices' default pipeline and its stages (``SMART_INVOICE_STAGE_{id}``)."""
    category_id = sequences.next("category", SEEDED_CATEGORY_IDS)
    categories[31] = [
        {"id": category_id, "name": "Invoices", "isDefault": "Y", "entityTypeId": 31, "sort": 500}
    ]
    for code, name, semantics, sort in INVOICE_STAGES:
        statuses.append(
            {
                "ID": str(sequences.next("status", SEEDED_STATUS_IDS)),
                "ENTITY_ID": f"SMART_INVOICE_STAGE_{category_id}",
                "STATUS_ID": f"DT31_{category_id}:{code}",
                "NAME": name,
                "SORT": str(sort),
                "SYSTEM": "Y",
                "CATEGORY_ID": category_id,
                "SEMANTICS": semantics,
                "EXTRA": {"SEMANTICS": {"S": "success", "F": "failure"}.get(semantics or "", "process")},
            }
        )
    return category_id
