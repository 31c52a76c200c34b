"""crm.item.productrow.* and crm.deal.productrows.*: one store, the documented arithmetic, errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator import driver, driver_crm, driver_setup
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator
from tests.emulator.tests.calls import call, installed_portal

DOC_ADD = {"price": 80000, "quantity": 2, "discountTypeId": 2, "discountRate": 20, "taxRate": 20}
DOC_UPDATE = {"price": 90000, "quantity": 3, "discountTypeId": 2, "discountRate": 10, "taxRate": 10}


@pytest.fixture
def portal(emulator: Emulator) -> Portal:
    return installed_portal(emulator)


def _add(emu: Emulator, portal: Portal, owner: str, owner_id: int, **fields: Any) -> dict[str, Any]:
    answer = call(
        emu, portal, "crm.item.productrow.add", fields={"ownerType": owner, "ownerId": owner_id, **fields}
    )
    row: dict[str, Any] = answer.result["productRow"]
    return row


def test_add_answers_the_documented_example_row(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="iphones")
    product = driver_setup.add_product(emulator, portal, "iphone 14")
    row = _add(
        emulator, portal, "D", deal, productId=product, taxIncluded="Y", measureCode=796, sort=10, **DOC_ADD
    )
    assert row["price"] == 80000 and row["priceAccount"] == 80000
    assert (row["priceExclusive"], row["priceNetto"], row["priceBrutto"]) == (66666.67, 83333.34, 100000.01)
    assert (row["discountSum"], row["discountRate"], row["discountTypeId"]) == (16666.67, 20, 2)
    assert (row["productName"], row["measureName"], row["type"], row["customized"]) == (
        "iphone 14",
        "pcs",
        1,
        "Y",
    )
    assert set(row) >= {
        "id",
        "ownerId",
        "ownerType",
        "productId",
        "quantity",
        "taxRate",
        "taxIncluded",
        "sort",
        "xmlId",
    }


def test_update_recomputes_as_the_documented_example(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="x")
    row = _add(emulator, portal, "D", deal, price=100)
    changed = call(
        emulator,
        portal,
        "crm.item.productrow.update",
        id=row["id"],
        fields={**DOC_UPDATE, "taxIncluded": "Y"},
    )
    view = changed.result["productRow"]
    assert (view["priceExclusive"], view["priceNetto"], view["priceBrutto"]) == (81818.18, 90909.09, 100000)
    assert view["discountSum"] == 9090.91 and view["quantity"] == 3


def test_an_absolute_discount_is_per_unit_and_gives_the_rate(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="x")
    row = _add(emulator, portal, "D", deal, price=90, quantity=4, discountTypeId=1, discountSum=10)
    assert (row["priceNetto"], row["discountRate"], row["discountSum"]) == (100, 10, 10)
    assert portal.deals[deal]["OPPORTUNITY"] == "360.00"  # price already has the discount in it


def test_a_full_percent_discount_keeps_no_list_price(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="x")
    row = _add(emulator, portal, "D", deal, price=0, discountTypeId=2, discountRate=100)
    assert (row["priceNetto"], row["discountSum"]) == (0, 0)


def test_deal_rows_are_one_store_for_both_method_families(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="x")
    call(
        emulator,
        portal,
        "crm.deal.productrows.set",
        id=deal,
        rows=[{"PRODUCT_NAME": "A", "PRICE": 10, "QUANTITY": 2}],
    )
    listed = call(emulator, portal, "crm.item.productrow.list", filter={"=ownerType": "D", "=ownerId": deal})
    [row] = listed.result["productRows"]
    assert (row["productName"], row["price"], row["quantity"]) == ("A", 10, 2)
    _add(emulator, portal, "D", deal, productName="B", price=5)
    legacy = call(emulator, portal, "crm.deal.productrows.get", id=deal).result
    assert [(r["PRODUCT_NAME"], r["PRICE"], r["QUANTITY"]) for r in legacy] == [
        ("A", "10.00", "2.00"),
        ("B", "5.00", "1.00"),
    ]
    assert portal.deals[deal]["OPPORTUNITY"] == "25.00"


def test_the_amount_follows_the_rows_unless_it_is_manual(emulator: Emulator, portal: Portal) -> None:
    automatic = driver.create_deal(emulator, portal, TITLE="auto", OPPORTUNITY=999)
    manual = driver.create_deal(emulator, portal, TITLE="manual", OPPORTUNITY=999, IS_MANUAL_OPPORTUNITY="Y")
    for deal in (automatic, manual):
        row = _add(emulator, portal, "D", deal, price=20, quantity=3)
    assert (
        portal.deals[automatic]["OPPORTUNITY"] == "60.00" and portal.deals[manual]["OPPORTUNITY"] == "999.00"
    )
    call(emulator, portal, "crm.item.productrow.delete", id=row["id"])
    assert portal.deals[manual]["OPPORTUNITY"] == "999.00"


def test_set_replaces_every_row_and_delete_answers_null(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="x")
    first = _add(emulator, portal, "D", deal, price=1)
    saved = call(
        emulator, portal, "crm.item.productrow.set", ownerType="D", ownerId=deal,
        productRows=[{"productName": "P", "price": 7}, {"productName": "Q", "price": 3, "quantity": 2}],
    ).result["productRows"]  # fmt: skip
    assert [r["productName"] for r in saved] == ["P", "Q"] and portal.deals[deal]["OPPORTUNITY"] == "13.00"
    assert call(emulator, portal, "crm.item.productrow.get", id=first["id"]).error == "NOT_FOUND"
    deleted = call(emulator, portal, "crm.item.productrow.delete", id=saved[0]["id"])
    assert deleted.status == 200 and deleted.body["result"] is None
    available = call(
        emulator, portal, "crm.item.productrow.getAvailableForPayment", ownerType="D", ownerId=deal
    )
    assert [r["productName"] for r in available.result["productRows"]] == ["Q"]


def test_invoice_and_smart_process_rows_drive_their_amount(emulator: Emulator, portal: Portal) -> None:
    invoice = driver_crm.create_invoice(emulator, portal, title="inv")
    _add(emulator, portal, "SI", invoice, price=12.5, quantity=2)
    assert portal.items[31][invoice]["opportunity"] == 25
    with_products = call(
        emulator, portal, "crm.type.add", fields={"title": "Orders", "isLinkWithProductsEnabled": "Y"}
    )
    etid = with_products.result["type"]["entityTypeId"]
    item = call(emulator, portal, "crm.item.add", entityTypeId=etid, fields={"title": "o"}).result["item"]
    _add(emulator, portal, f"T{etid:x}", item["id"], price=4)
    assert (
        call(emulator, portal, "crm.item.get", entityTypeId=etid, id=item["id"]).result["item"]["opportunity"]
        == 4
    )
    plain = call(emulator, portal, "crm.type.add", fields={"title": "Plain"}).result["type"]["entityTypeId"]
    other = call(emulator, portal, "crm.item.add", entityTypeId=plain, fields={"title": "p"}).result["item"]
    refused = call(
        emulator,
        portal,
        "crm.item.productrow.add",
        fields={"ownerType": f"T{plain:x}", "ownerId": other["id"]},
    )
    assert refused.error == "ENTITY_TYPE_NOT_SUPPORTED"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"ownerType": "D"}, "100"),
        ({"ownerType": "D", "ownerId": 999999}, "OWNER_NOT_FOUND"),
        ({"ownerType": "C", "ownerId": 1}, "ENTITY_TYPE_NOT_SUPPORTED"),
        ({"ownerType": "I", "ownerId": 1}, "ENTITY_TYPE_NOT_SUPPORTED"),
    ],
)
def test_add_needs_an_owner_that_takes_products(
    emulator: Emulator, portal: Portal, fields: dict[str, Any], error: str
) -> None:
    assert call(emulator, portal, "crm.item.productrow.add", fields=fields).error == error


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"ownerId": 5}, "INVALID_ARG_VALUE"),
        ({"bogus": 1}, "INVALID_ARG_VALUE"),
        ({"price": "cheap"}, "INVALID_ARG_VALUE"),
        ({"discountTypeId": 3}, "INVALID_ARG_VALUE"),
        ({"discountRate": 120}, "INVALID_ARG_VALUE"),
        ({"productId": 424242}, "INVALID_ARG_VALUE"),
        ({"measureCode": 1}, "INVALID_ARG_VALUE"),
    ],
)
def test_update_refuses_unknown_read_only_and_invalid_fields(
    emulator: Emulator, portal: Portal, fields: dict[str, Any], error: str
) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="x")
    row = _add(emulator, portal, "D", deal, price=1)
    assert call(emulator, portal, "crm.item.productrow.update", id=row["id"], fields=fields).error == error
    assert call(emulator, portal, "crm.item.productrow.get", id=row["id"]).result["productRow"]["price"] == 1


def test_list_needs_the_owner_filter_and_pages_by_id(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="x")
    rows = [{"productName": f"r{n}", "price": n} for n in range(60)]
    call(emulator, portal, "crm.item.productrow.set", ownerType="D", ownerId=deal, productRows=rows)
    assert call(emulator, portal, "crm.item.productrow.list", filter={"ownerType": "D"}).error == "100"
    owner = {"=ownerType": "D", "=ownerId": deal}
    first = call(emulator, portal, "crm.item.productrow.list", filter=owner, order={"id": "ASC"})
    assert (len(first.result["productRows"]), first.body["total"], first.body["next"]) == (50, 60, 50)
    last_id = first.result["productRows"][-1]["id"]
    rest = call(
        emulator,
        portal,
        "crm.item.productrow.list",
        filter={**owner, ">id": last_id},
        order={"id": "ASC"},
        start=-1,
    )
    assert len(rest.result["productRows"]) == 10 and "total" not in rest.body and "next" not in rest.body
    cheap = call(emulator, portal, "crm.item.productrow.list", filter={**owner, "<price": 3})
    assert [r["productName"] for r in cheap.result["productRows"]] == ["r0", "r1", "r2"]


def test_rows_work_inside_a_batch_with_references(emulator: Emulator, portal: Portal) -> None:
    deal = driver.create_deal(emulator, portal, TITLE="x")
    cmd = {
        "row": f"crm.item.productrow.add?fields[ownerType]=D&fields[ownerId]={deal}"
        "&fields[price]=3&fields[quantity]=2",
        "read": "crm.item.productrow.get?id=$result[row][productRow][id]",
    }
    result = call(emulator, portal, "batch", halt=0, cmd=cmd).result
    assert result["result"]["read"]["productRow"]["priceNetto"] == 3 and result["result_error"] == []


def test_fields_describe_the_row(emulator: Emulator, portal: Portal) -> None:
    fields = call(emulator, portal, "crm.item.productrow.fields").result["fields"]
    assert (
        fields["ownerId"]["isRequired"]
        and fields["priceNetto"]["isReadOnly"]
        and fields["taxIncluded"]["type"] == "char"
    )
