"""catalog.*: catalogs, the section tree, products and variations, units; who may call them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import driver_setup
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator
from tests.emulator.state import OFFER_IBLOCK, PRODUCT_IBLOCK, SKU_PROPERTY
from tests.emulator.tests.calls import call, hook_call, installed_portal

MANAGER = 2  # not an admin on a new portal


@pytest.fixture
def portal(emulator: Emulator) -> Portal:
    return installed_portal(emulator)


def test_catalogs_name_the_offers_iblock_and_its_sku_property(emulator: Emulator, portal: Portal) -> None:
    answer = call(emulator, portal, "catalog.catalog.list")
    catalogs = {c["iblockId"]: c for c in answer.result["catalogs"]}
    assert catalogs[OFFER_IBLOCK]["productIblockId"] == PRODUCT_IBLOCK
    assert catalogs[OFFER_IBLOCK]["skuPropertyId"] == SKU_PROPERTY and answer.body["total"] == 2


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("catalog.catalog.list", {}, 200040300010),
        ("catalog.section.list", {"filter": {"iblockId": PRODUCT_IBLOCK}}, 200040300030),
        ("catalog.section.get", {"id": 1}, 200040300040),
        ("catalog.product.get", {"id": 1}, 200040300010),
        ("catalog.measure.list", {}, 200040300010),
        ("catalog.measure.add", {"fields": {"code": 1, "measureTitle": "x"}}, 200040300020),
    ],
)
def test_only_admins_and_granted_users_use_the_catalog(
    emulator: Emulator, portal: Portal, method: str, params: dict[str, Any], code: int
) -> None:
    denied = call(emulator, portal, method, user=MANAGER, **params)
    assert denied.status == 400 and denied.error == code  # a number, as the pages show
    assert hook_call(emulator, portal, method, user=MANAGER, **params).error == code


def test_granted_read_rights_read_but_do_not_write(emulator: Emulator, portal: Portal) -> None:
    driver_setup.grant_catalog(emulator, portal, MANAGER, "read")
    assert len(call(emulator, portal, "catalog.measure.list", user=MANAGER).result["measures"]) == 5
    add = {"fields": {"code": 359, "measureTitle": "Day"}}
    assert call(emulator, portal, "catalog.measure.add", user=MANAGER, **add).error == 200040300020
    driver_setup.grant_catalog(emulator, portal, MANAGER, "write")
    assert call(emulator, portal, "catalog.measure.add", user=MANAGER, **add).result["measure"]["code"] == 359


def test_sections_form_a_tree_by_parent(emulator: Emulator, portal: Portal) -> None:
    shoes = driver_setup.add_section(emulator, portal, "Shoes")
    boots = driver_setup.add_section(emulator, portal, "Boots", parent=shoes)
    driver_setup.add_section(emulator, portal, "Hats")
    children = call(
        emulator,
        portal,
        "catalog.section.list",
        filter={"iblockId": PRODUCT_IBLOCK, "iblockSectionId": shoes},
    )
    assert [s["id"] for s in children.result["sections"]] == [boots]
    top = call(
        emulator, portal, "catalog.section.list", filter={"iblockId": PRODUCT_IBLOCK, "iblockSectionId": None}
    )
    assert sorted(s["name"] for s in top.result["sections"]) == ["Hats", "Shoes"]
    section = call(emulator, portal, "catalog.section.get", id=boots).result["section"]
    assert section["iblockSectionId"] == shoes and section["iblockId"] == PRODUCT_IBLOCK


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("catalog.section.list", {}, 0),
        ("catalog.section.get", {}, 100),
        ("catalog.section.get", {"id": 999}, 200700300030),
        ("catalog.product.get", {"id": 999}, 0),
        ("catalog.product.list", {"select": ["id", "iblockId"]}, 0),
        ("catalog.product.list", {"select": ["id"], "filter": {"iblockId": PRODUCT_IBLOCK}}, 0),
        ("catalog.measure.add", {}, 100),
        ("catalog.measure.add", {"fields": {"code": 796, "measureTitle": "Piece"}}, 200600000000),
        ("catalog.measure.add", {"fields": {"code": 5, "measureTitle": "x", "isDefault": "Y"}}, 200600000010),
        ("catalog.measure.add", {"fields": {"measureTitle": "No code"}}, 0),
    ],
)
def test_catalog_errors_are_the_documented_codes(
    emulator: Emulator, portal: Portal, method: str, params: dict[str, Any], code: int
) -> None:
    assert call(emulator, portal, method, **params).error == code


def test_products_carry_their_section_and_variations_their_parent(emulator: Emulator, portal: Portal) -> None:
    section = driver_setup.add_section(emulator, portal, "Subscriptions")
    month = driver_setup.ensure_unit(emulator, portal, "month")
    plan = driver_setup.add_product(emulator, portal, "Gym", section=section, measure_code=month)
    variation = driver_setup.add_product(emulator, portal, "Gym, evenings", parent=plan)
    product = call(emulator, portal, "catalog.product.get", id=plan).result["product"]
    assert (product["iblockSectionId"], product["type"], product["iblockId"]) == (section, 3, PRODUCT_IBLOCK)
    offer = call(emulator, portal, "catalog.product.get", id=variation).result["product"]
    assert offer["iblockId"] == OFFER_IBLOCK and offer[f"property{SKU_PROPERTY}"]["value"] == plan
    unit = next(m for m in portal.catalog.measures.values() if m["code"] == month)
    assert product["measure"] == unit["id"]


def test_product_list_filters_selects_and_pages(emulator: Emulator, portal: Portal) -> None:
    section = driver_setup.add_section(emulator, portal, "Many")
    made = [driver_setup.add_product(emulator, portal, f"p{n}", section=section) for n in range(55)]
    params: dict[str, Any] = {
        "select": ["id", "iblockId", "name"],
        "filter": {"iblockId": PRODUCT_IBLOCK, "iblockSectionId": section},
    }
    first = call(emulator, portal, "catalog.product.list", order={"id": "asc"}, **params)
    assert first.body["total"] == 55 and first.body["next"] == 50
    assert set(first.result["products"][0]) == {"id", "iblockId", "name"}
    tail: dict[str, Any] = {**params, "filter": {**params["filter"], ">id": made[49]}}
    rest = call(emulator, portal, "catalog.product.list", order={"id": "asc"}, start=-1, **tail)
    assert [p["id"] for p in rest.result["products"]] == made[50:] and "total" not in rest.body
    listed = call(
        emulator,
        portal,
        "catalog.product.list",
        select=["id", "iblockId"],
        filter={"iblockId": PRODUCT_IBLOCK, "@id": made[:2]},
    )
    assert [p["id"] for p in listed.result["products"]] == made[:2]


def test_units_are_seeded_and_the_period_units_can_be_added(emulator: Emulator, portal: Portal) -> None:
    measures = call(emulator, portal, "catalog.measure.list").result["measures"]
    assert [m["code"] for m in measures if m["isDefault"] == "Y"] == [796]
    codes = [driver_setup.ensure_unit(emulator, portal, u) for u in ("day", "week", "month", "piece", "day")]
    assert codes == [359, 360, 362, 796, 359]
    titles = call(emulator, portal, "catalog.measure.list", filter={"@code": [359, 360, 362]}).result[
        "measures"
    ]
    assert [m["measureTitle"] for m in titles] == ["Day", "Week", "Month"]


def test_catalog_reads_work_in_a_batch(emulator: Emulator, portal: Portal) -> None:
    product = driver_setup.add_product(emulator, portal, "Boots")
    cmd = {
        "p": f"catalog.product.get?id={product}",
        "m": "catalog.measure.list?filter[id]=$result[p][product][measure]",
    }
    result = call(emulator, portal, "batch", cmd=cmd).result
    assert result["result"]["m"]["measures"][0]["code"] == 796 and result["result_error"] == []
