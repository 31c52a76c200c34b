"""Reading catalog sections for offers and bundles: a product's section and its parents.

``catalog.product.get`` gives a product's ``iblockSectionId`` (a variation, type 4, has no section:
its parent product's is read instead, api-reference/catalog/product/catalog-product-get.md);
``catalog.section.list`` (filter ``iblockId`` required) gives the tree. Paths are cached in the
database for ``CATALOG_TTL`` (registry.bonuses.catalog), so a deal costs catalog reads only when a
product is new or its path is stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from b24app.gateway import Command, PortalClient
from registry.program.deal import DealSnapshot
from registry.program.values import bounded_id

SKU_HINT = "property"  # a variation names its parent in property{skuPropertyId}: {"value": id}


def _parent_of(product: Mapping[str, Any]) -> int | None:
    for key, value in product.items():
        if str(key).startswith(SKU_HINT) and isinstance(value, Mapping):
            return bounded_id(value.get("value"))
    return None


def _products(client: PortalClient, ids: Iterable[int]) -> dict[int, Mapping[str, Any]]:
    commands = {f"p{i}": Command("catalog.product.get", {"id": i}) for i in ids}
    result = client.batch_all(commands)
    found: dict[int, Mapping[str, Any]] = {}
    for label, value in result.results.items():
        product = value.get("product") if isinstance(value, Mapping) else None
        if isinstance(product, Mapping):
            found[int(label[1:])] = product
    return found


def _tree(client: PortalClient, iblock_id: int) -> dict[int, int | None]:
    params = {"filter": {"iblockId": iblock_id}, "select": ["id", "iblockSectionId"]}
    rows = client.list_all("catalog.section.list", params, "sections")
    return {int(r["id"]): bounded_id(r.get("iblockSectionId")) for r in rows}


def _path(section: int | None, tree: Mapping[int, int | None]) -> list[int]:
    path: list[int] = []
    while section is not None and section not in path:  # a loop in the tree ends the walk
        path.append(section)
        section = tree.get(section)
    return path


def read_paths(client: PortalClient, product_ids: Iterable[int]) -> dict[int, list[int]]:
    """Product id -> [its section, the section's parent, ...] (empty: no section, or not found)."""
    products = _products(client, product_ids)
    parents = {pid: _parent_of(p) for pid, p in products.items() if not p.get("iblockSectionId")}
    missing = {parent for parent in parents.values() if parent and parent not in products}
    products.update(_products(client, missing) if missing else {})
    trees: dict[int, dict[int, int | None]] = {}
    paths: dict[int, list[int]] = {}
    for pid in product_ids:
        product = products.get(parents.get(pid) or pid) or products.get(pid)
        section = bounded_id(product.get("iblockSectionId")) if product else None
        if product is None or section is None:
            paths[pid] = []
            continue
        iblock = int(product.get("iblockId") or 0)
        if iblock not in trees:
            trees[iblock] = _tree(client, iblock)
        paths[pid] = _path(section, trees[iblock])
    return paths


def with_sections(snapshot: DealSnapshot, paths: Mapping[int, list[int]]) -> DealSnapshot:
    """The snapshot with each line's section path filled in."""
    if not snapshot.lines:
        return snapshot
    lines = tuple(replace(ln, sections=tuple(paths.get(ln.product_id, ()))) for ln in snapshot.lines)
    return replace(snapshot, lines=lines)
