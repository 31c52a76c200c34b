"""Product-row arithmetic and views, as ``crm_item_product_row`` documents them.

api-reference/crm/data-types.md#crm_item_product_row: ``price`` is the final per-unit price with
discount and tax; ``priceExclusive`` is with discount, without tax; ``priceNetto`` without either;
``priceBrutto`` with tax, without discount. The add-response example in
api-reference/crm/universal/product-rows/crm-item-productrow-add.md (price 80000, 20 % off, 20 % tax
included -> priceExclusive 66666.67, priceNetto 83333.34, priceBrutto 100000.01, discountSum 16666.67)
fixes the order of rounding: each step is rounded to cents before the next one uses it, and
``discountSum`` is the per-unit discount without tax (priceNetto - priceExclusive).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tests.emulator.protocol import B24Error

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# What a caller may write (crm-item-productrow-add.md / -update.md "Parameter fields").
WRITABLE = (
    "productId",
    "productName",
    "price",
    "quantity",
    "discountTypeId",
    "discountRate",
    "discountSum",
    "taxRate",
    "taxIncluded",
    "measureCode",
    "sort",
)
# crm.deal.productrows.set's upper-case row keys (api-reference/crm/deals/crm-deal-productrows-set.md).
LEGACY = {
    "PRODUCT_ID": "productId",
    "PRODUCT_NAME": "productName",
    "PRICE": "price",
    "QUANTITY": "quantity",
    "DISCOUNT_TYPE_ID": "discountTypeId",
    "DISCOUNT_RATE": "discountRate",
    "DISCOUNT_SUM": "discountSum",
    "TAX_RATE": "taxRate",
    "TAX_INCLUDED": "taxIncluded",
    "MEASURE_CODE": "measureCode",
    "SORT": "sort",
}
DEFAULTS: dict[str, Any] = {
    "productId": 0,
    "productName": "",
    "price": Decimal(0),
    "quantity": Decimal(1),  # "Default is 1"
    "discountTypeId": 2,  # "Default is 2"
    "discountRate": Decimal(0),
    "discountSum": Decimal(0),
    "taxRate": None,
    "taxIncluded": "N",  # "Default is N"
    "sort": 10,
}
NUMBERS = ("price", "quantity", "discountRate", "discountSum", "taxRate")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(name: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise B24Error("INVALID_ARG_VALUE", f"Invalid value for field '{name}'") from exc
    if not number.is_finite():
        raise B24Error("INVALID_ARG_VALUE", f"Invalid value for field '{name}'")
    return number


def _integer(name: str, value: Any) -> int:
    try:
        return int(str(value))
    except ValueError as exc:
        raise B24Error("INVALID_ARG_VALUE", f"Invalid value for field '{name}'") from exc


def clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Typed values of the writable fields that were sent (validation of each one's type)."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in NUMBERS:
            out[name] = _decimal(name, value)
        elif name in ("productId", "discountTypeId", "sort", "measureCode"):
            out[name] = _integer(name, value) if value not in (None, "") else DEFAULTS.get(name)
        elif name == "taxIncluded":
            out[name] = str(value).upper()
        else:
            out[name] = "" if value is None else str(value)
    # data-types.md: discountTypeId is 1 (absolute) or 2 (percent); taxIncluded Y or N. Anything else
    # is undocumented, so refused (stricter).
    if out.get("discountTypeId") not in (None, 1, 2):
        raise B24Error("INVALID_ARG_VALUE", "Invalid value for field 'discountTypeId'")
    if out.get("taxIncluded") not in (None, "Y", "N"):
        raise B24Error("INVALID_ARG_VALUE", "Invalid value for field 'taxIncluded'")
    return out


def derive(row: dict[str, Any]) -> None:
    """Fill priceExclusive/Netto/Brutto/Account and the other of discountRate/discountSum from price."""
    price, tax = row["price"] or Decimal(0), row["taxRate"] or Decimal(0)
    exclusive = cents(price / (1 + tax / HUNDRED))
    if row["discountTypeId"] == 2:
        rate = row["discountRate"] or Decimal(0)
        if rate < 0 or rate > HUNDRED:  # undocumented; a percent outside 0..100 is refused (stricter)
            raise B24Error("INVALID_ARG_VALUE", "Invalid value for field 'discountRate'")
        # [inferred] 100 % leaves no list price to derive (division by zero): the row keeps price 0 as
        # its netto price and no discount sum, so an app that relies on it sees the list price lost.
        netto = exclusive if rate == HUNDRED else cents(exclusive / (1 - rate / HUNDRED))
        row["discountSum"] = netto - exclusive
    else:
        discount = cents(row["discountSum"] or Decimal(0))
        netto = exclusive + discount
        row["discountSum"] = discount
        row["discountRate"] = cents(discount / netto * HUNDRED) if netto else Decimal(0)
    row.update(
        priceExclusive=exclusive,
        priceNetto=netto,
        priceBrutto=cents(netto * (1 + tax / HUNDRED)),
        priceAccount=price,  # one currency: the account currency is the row's currency
    )


def number(value: Any) -> Any:
    """A Decimal as the portal prints a double: an integer when whole, else a float."""
    if not isinstance(value, Decimal):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


VIEW_ORDER = (
    "id",
    "ownerId",
    "ownerType",
    "productId",
    "productName",
    "price",
    "priceAccount",
    "priceExclusive",
    "priceNetto",
    "priceBrutto",
    "quantity",
    "discountTypeId",
    "discountRate",
    "discountSum",
    "taxRate",
    "taxIncluded",
    "customized",
    "measureCode",
    "measureName",
    "sort",
    "xmlId",
    "type",
)


def camel_view(row: dict[str, Any]) -> dict[str, Any]:
    """The row as crm.item.productrow.* answers it (numbers as JSON numbers)."""
    return {key: number(row.get(key)) for key in VIEW_ORDER}


def legacy_view(row: dict[str, Any]) -> dict[str, Any]:
    """The row as crm.deal.productrows.get answers it.

    ID, OWNER_ID, OWNER_TYPE, PRODUCT_ID, PRODUCT_NAME, PRICE and QUANTITY keep the strings the
    emulator always answered (the app parses them); the rest follow the doc's example
    (api-reference/crm/deals/crm-deal-productrows-get.md).
    """
    return {
        "ID": str(row["id"]),
        "OWNER_ID": str(row["ownerId"]),
        "OWNER_TYPE": row["ownerType"],
        "PRODUCT_ID": str(row["productId"]),
        "PRODUCT_NAME": row["productName"],
        "PRICE": f"{row['price']:.2f}",
        "PRICE_EXCLUSIVE": number(row["priceExclusive"]),
        "PRICE_NETTO": number(row["priceNetto"]),
        "PRICE_BRUTTO": number(row["priceBrutto"]),
        "PRICE_ACCOUNT": f"{row['priceAccount']:.2f}",
        "QUANTITY": f"{row['quantity']:.2f}",
        "DISCOUNT_TYPE_ID": row["discountTypeId"],
        "DISCOUNT_RATE": number(row["discountRate"]),
        "DISCOUNT_SUM": number(row["discountSum"]),
        "TAX_RATE": number(row["taxRate"]),
        "TAX_INCLUDED": row["taxIncluded"],
        "CUSTOMIZED": "Y",
        "MEASURE_CODE": row["measureCode"],
        "MEASURE_NAME": row["measureName"],
        "SORT": row["sort"],
        "XML_ID": row["xmlId"],
        "TYPE": row["type"],
    }


FIELD_TYPES = {
    "id": "integer",
    "ownerId": "integer",
    "ownerType": "string",
    "productId": "integer",
    "productName": "string",
    "price": "double",
    "priceAccount": "double",
    "priceExclusive": "double",
    "priceNetto": "double",
    "priceBrutto": "double",
    "quantity": "double",
    "discountTypeId": "integer",
    "discountRate": "double",
    "discountSum": "double",
    "taxRate": "double",
    "taxIncluded": "string",
    "customized": "string",
    "measureCode": "integer",
    "measureName": "string",
    "sort": "integer",
    "xmlId": "string",
    "type": "integer",
}
