"""The public API's request and answer schemas (pydantic): they validate requests and the OpenAPI
document at /api/v1/openapi.json is generated from them (handlers/api_spec.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Money = str  # a decimal string with two decimals ("150.00"): no float rounding on the way
MAX_ID = 2**31 - 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Client(Strict):
    """A bonus owner: a CRM contact or company."""

    type: Literal["contact", "company"]
    id: int = Field(gt=0, le=MAX_ID)


class Error(BaseModel):
    error: str = Field(description="bad_request | invalid | unauthorized | forbidden | conflict | ...")
    field: str | None = Field(default=None, description="the request field at fault")
    message: str


class Problem(BaseModel):
    """422: either the schema or program refused a field (``error``, ``field``, ``message``), or the
    operation was refused with a code (``ok`` false, ``error_code``, ``error_message``, ``balance``)."""

    model_config = ConfigDict(extra="allow")
    error: str | None = None
    field: str | None = None
    message: str | None = None
    ok: bool | None = None
    error_code: str | None = None
    error_message: str | None = None
    balance: Money | None = None


class Expiry(BaseModel):
    amount: Money
    date: date


class ClientBalance(BaseModel):
    client: Client
    balance: Money
    spendable: Money = Field(description="what can be spent now")
    pending: Money = Field(description="accrued but on hold")
    pending_until: datetime | None = Field(description="when the earliest held bonuses become spendable")
    next_expiry: Expiry | None
    level: str | None = Field(description="the client's tier level code (null until tiers are set)")
    blocked: bool


class MovementsQuery(Strict):
    limit: int = Field(default=20, ge=1, le=200)
    before: int | None = Field(default=None, gt=0, le=MAX_ID, description="ids below this one (paging)")


class Movement(BaseModel):
    id: int
    at: datetime
    kind: str
    amount: Money = Field(description="signed: positive credits, negative debits")
    balance_after: Money
    deal_id: int | None
    reason: str | None
    source: str


class Movements(BaseModel):
    movements: list[Movement]
    next_before: int | None = Field(description="pass as ?before= for the next (older) page")


Amount = str | int | float  # checked like the robot's ``amount`` property (BAD_AMOUNT otherwise)
IdempotencyKey = Field(min_length=1, max_length=200, description="the same key and body: the first answer")


class SpendRequest(Strict):
    client: Client
    amount: Amount = Field(description="positive, at most two decimals")
    reference: str | None = Field(default=None, max_length=500, description="e.g. the receipt number")
    idempotency_key: str = IdempotencyKey


class EventRequest(Strict):
    client: Client = Field(description="who earns (the referrer, for a referral)")
    event: str = Field(min_length=1, max_length=64, description="an event code of the program's events")
    referred: Client | None = Field(default=None, description="for a referral: the referred client")
    reference: str | None = Field(default=None, max_length=500)
    idempotency_key: str = IdempotencyKey


class Moved(BaseModel):
    ok: bool
    entry_id: int | None = None
    written_off: Money | None = None
    accrued: Money | None = None
    balance: Money
    error_code: str | None = Field(
        default=None,
        description="BAD_AMOUNT, BLOCKED, CAP_EXCEEDED, INSUFFICIENT_BALANCE (spend); "
        "UNKNOWN_EVENT, LIMIT_REACHED, SAME_CLIENT, BLOCKED (events)",
    )
    error_message: str | None = None
    model_config = ConfigDict(extra="allow")


class ProgramAnswer(BaseModel):
    version: int
    program: dict[str, Any]


class ProductLine(Strict):
    product_id: int = Field(gt=0, le=MAX_ID)
    quantity: float = Field(gt=0, le=1e9)
    price: float = Field(ge=0, le=1e15)


class PreviewRequest(Strict):
    deal_id: int | None = Field(default=None, gt=0, le=MAX_ID, description="a deal the ledger knows")
    client: Client | None = None
    amount: float | None = Field(default=None, ge=0, le=1e15, description="the deal's amount")
    currency: str = Field(default="", max_length=3)
    manager_percent: float | None = Field(default=None, ge=0, le=1000)
    products: list[ProductLine] = Field(default_factory=list, max_length=500)


class PreviewLine(BaseModel):
    source: str = Field(description="rule | offer | bundle")
    index: int | None = None
    kind: str
    percent: str | None = None
    amount: Money


class Preview(BaseModel):
    earns: Money
    lines: list[PreviewLine]
    instant_discount: Money
    skipped: list[str] = Field(description="rules in scope that could not value the deal, and why")
    known: dict[str, Any] | None = Field(default=None, description="for a deal_id: what the ledger holds")


class ImportQuery(Strict):
    dry_run: bool = Field(default=True, description="true: check every row and write nothing")


class RowOutcome(BaseModel):
    line: int
    key: str
    outcome: str = Field(description="would_post | posted | already_posted | error")
    column: str | None = None
    message: str | None = None


class ImportReport(BaseModel):
    dry_run: bool
    written: bool
    rows: int
    errors: int
    already_posted: int
    posted: int
    outcomes: list[RowOutcome]
