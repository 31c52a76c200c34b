"""The public API (/api/v1): a client's balances and movements, spending, the program, previews.

Thin: the key is checked first (handlers/api_auth.py), the schema validates the request
(handlers/api_schemas.py, which also makes the OpenAPI document), one service answers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from handlers import api_schemas as s
from handlers.api_auth import authenticate_request, caller
from handlers.api_spec import Invalid, documented, validated
from handlers.common import container
from handlers.forms import BadRequest
from registry.bonuses.api_spend import SpendRequest
from registry.bonuses.customer_events import EventRequest
from registry.bonuses.idempotency import Conflict, body_hash
from registry.bonuses.preview import Purchase, UnknownDeal
from registry.ledger.posting import Owner
from registry.program.document import ProgramError
from registry.services import api

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)
CLIENT = "/clients/<any(contact, company):kind>/<int:owner_id>"


class Forbidden(Exception):
    """The key lacks the scope the endpoint needs (403)."""


def need(scope: str) -> None:
    if scope not in caller().scopes:
        raise Forbidden(scope)


def answer(model: type[BaseModel], data: dict[str, Any], status: int = 200) -> ResponseReturnValue:
    return jsonify(model.model_validate(data).model_dump(mode="json")), status


def owner_of(kind: str, owner_id: int) -> Owner:
    if not 0 < owner_id <= s.MAX_ID:
        raise BadRequest("id", "must be a positive CRM id")
    return Owner(kind, owner_id)


def _money(data: dict[str, Any]) -> dict[str, Any]:
    """Decimals as two-decimal strings (the schemas say Money is a string)."""
    return {k: (f"{v:.2f}" if hasattr(v, "quantize") else v) for k, v in data.items()}


@bp.get(CLIENT)
@documented(ok=s.ClientBalance, errors=(400, 401, 403))
def client(kind: str, owner_id: int) -> ResponseReturnValue:
    """A client's balance, spendable amount, pending bonuses, next expiry and level."""
    need("read")
    data = _money(api.client(container(), caller(), owner_of(kind, owner_id)))
    if data["next_expiry"]:
        data["next_expiry"] = _money(data["next_expiry"])
    return answer(s.ClientBalance, data)


@bp.get(CLIENT + "/movements")
@documented(ok=s.Movements, query=s.MovementsQuery, errors=(400, 401, 403, 422))
def movements(kind: str, owner_id: int) -> ResponseReturnValue:
    """The client's movements, newest first; page with ``before`` = the last ``next_before``."""
    need("read")
    q: s.MovementsQuery = validated("query")
    page = api.movements(container(), caller(), owner_of(kind, owner_id), q.limit, q.before)
    page["movements"] = [_money(m) for m in page["movements"]]
    return answer(s.Movements, page)


@bp.post("/spend")
@documented(ok=s.Moved, json=s.SpendRequest, errors=(401, 403, 409, 422), tag="movements")
def spend() -> ResponseReturnValue:
    """Write bonuses off: the write-off robot's checks and error codes; idempotent by key."""
    need("spend")
    body: s.SpendRequest = validated("json")
    request = SpendRequest(
        owner=Owner(body.client.type, body.client.id),
        amount=body.amount,
        reference=body.reference,
        idempotency_key=body.idempotency_key,
        fingerprint=body_hash(body.model_dump(mode="json")),
    )
    status, data = api.spend(container(), caller(), request)
    return answer(s.Moved, data, status)


@bp.post("/events")
@documented(ok=s.Moved, json=s.EventRequest, errors=(401, 403, 409, 422), tag="movements")
def customer_event() -> ResponseReturnValue:
    """Award a customer event of the program (a review, a referral); idempotent by key."""
    need("events")
    body: s.EventRequest = validated("json")
    request = EventRequest(
        owner=Owner(body.client.type, body.client.id),
        event=body.event,
        idempotency_key=body.idempotency_key,
        fingerprint=body_hash(body.model_dump(mode="json")),
        referred=Owner(body.referred.type, body.referred.id) if body.referred else None,
        reference=body.reference,
    )
    status, data = api.event(container(), caller(), request)
    return answer(s.Moved, data, status)


@bp.get("/program")
@documented(ok=s.ProgramAnswer, errors=(401, 403), tag="program")
def program() -> ResponseReturnValue:
    """The current program document and its version."""
    need("program")
    current = api.program(container(), caller())
    return answer(s.ProgramAnswer, {"version": current.version, "program": current.document})


class ProgramDocument(BaseModel):
    """The program document (see the product contract); any key not a setting is refused by name."""

    model_config = {"extra": "allow"}


@bp.put("/program")
@documented(ok=s.ProgramAnswer, json=ProgramDocument, errors=(401, 403, 422), tag="program")
def replace_program() -> ResponseReturnValue:
    """Validate the document and save it as a new program version."""
    need("program")
    body: ProgramDocument = validated("json")
    document = body.model_dump()
    try:
        saved = api.save_program_document(container(), caller(), document)
    except ProgramError as exc:
        raise Invalid(exc.path, str(exc).split(": ", 1)[-1]) from exc
    return answer(s.ProgramAnswer, {"version": saved.version, "program": saved.document})


def _decimal(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@bp.post("/preview")
@documented(ok=s.Preview, json=s.PreviewRequest, errors=(401, 403, 422), tag="preview")
def preview() -> ResponseReturnValue:
    """What a deal would earn: ``{deal_id}`` (a deal the ledger knows) or ``{client, amount, products}``."""
    need("read")
    body: s.PreviewRequest = validated("json")
    if body.deal_id is not None:
        try:
            data = api.preview_deal(container(), caller(), body.deal_id)
        except UnknownDeal as exc:
            raise Invalid(
                "deal_id", "the ledger knows no such deal; send client, amount and products"
            ) from exc
    else:
        if body.client is None or body.amount is None:
            raise Invalid("client" if body.client is None else "amount", "is required without deal_id")
        purchase = Purchase(
            owner=Owner(body.client.type, body.client.id),
            amount=_decimal(body.amount),
            currency=body.currency,
            manager_percent=None if body.manager_percent is None else _decimal(body.manager_percent),
            products=tuple(
                (p.product_id, Decimal(str(p.quantity)), _decimal(p.price)) for p in body.products
            ),
        )
        data = api.preview_purchase(container(), caller(), purchase)
    data["lines"] = [_money(line) for line in data["lines"]]
    if data["known"]:
        data["known"] = _money(data["known"])
    return answer(s.Preview, _money(data))


def register_api_errors(app: Flask) -> None:
    """The API's own refusals as JSON: 422 naming the field, 403 naming the scope, 409 on a reused key."""

    @app.errorhandler(Invalid)
    def invalid(exc: Invalid) -> ResponseReturnValue:
        return jsonify(error="invalid", field=exc.field, message=exc.message), 422

    @app.errorhandler(Forbidden)
    def forbidden(exc: Forbidden) -> ResponseReturnValue:
        return jsonify(error="forbidden", field=None, message=f"this key lacks the {exc} scope"), 403

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict) -> ResponseReturnValue:
        message = "this idempotency_key was used with another body"
        return jsonify(error="conflict", field="idempotency_key", message=message), 409
