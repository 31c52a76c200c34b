"""Answers to workflow robots: return values, messages in the portal's language, delivery.

Every robot delivery gets exactly one answer through ``bizproc.event.send``, owed in the same
transaction as the ledger entry (or the refusal) it reports. Bitrix24 accepts one answer per
``event_token``; if a retry finds the token already answered (our first send got through but its
response was lost), the answer counts as delivered.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from b24app.i18n import N_, points, t

MESSAGES = {
    "OK_WRITE_OFF": N_("Written off {amount} bonuses. Balance: {balance}"),
    "OK_ACCRUE": N_("Accrued {amount} bonuses. Balance: {balance}"),
    "BAD_AMOUNT": N_("The amount must be a positive number with at most two decimals"),
    "INSUFFICIENT_BALANCE": N_("Not enough bonuses: {available} available"),
    "CAP_EXCEEDED": N_("The write-off limit is exceeded: at most {cap}"),
    "NO_CLIENT": N_("The document has no client (company or contact)"),
    "BLOCKED": N_("The client's bonus account is blocked"),
    "REASON_REQUIRED": N_("A reason for the accrual is required"),
    "APPROVAL_REQUIRED": N_("Accruals above {limit} bonuses need approval"),
    "DOCUMENT_NOT_FOUND": N_("The document was not found"),
    "UNSUPPORTED_DOCUMENT": N_("This document type is not supported"),
    "CALLER_EXPIRED": N_("The call could not be verified in time: start the action again"),
    "UNKNOWN_EVENT": N_("The program has no customer event {event}"),
    "LIMIT_REACHED": N_("This client has already earned from this event {limit} times"),
    "SAME_CLIENT": N_("A client cannot refer themselves"),
    "INTERNAL_ERROR": N_("The operation could not be done; the application's administrator has the details"),
    "UNKNOWN_DEFINITION": N_("There is no approval definition {definition}"),
    "OUT_OF_RANGE": N_("The value must be from {min} to {max}"),
    "NOT_VALID_NOW": N_("The definition is not valid today"),
    "MONTHLY_CAP": N_("The client's monthly maximum of {cap} would be exceeded"),
    "YEARLY_COUNT": N_("The client has had the most requests a year allows ({cap})"),
    "NOT_APPLICABLE": N_("The deal has no product this definition applies to"),
    "NOT_IN_SEGMENT": N_("The deal is not in the definition's segment"),
    "CANCELLED": N_("The request was cancelled"),
    "REQUEST_PENDING": N_("Request #{request} is waiting for approval"),
    "REQUEST_APPROVED": N_("Request #{request} is approved and applied"),
}


def message(code: str, language: str, **details: Any) -> str:
    text = t(language, MESSAGES[code]) if code in MESSAGES else code
    shown = {k: points(v, language) if isinstance(v, Decimal) else v for k, v in details.items()}
    shown.setdefault("available", points(Decimal("0"), language))
    try:
        return text.format(**shown)
    except (KeyError, IndexError):
        return text


def success(code: str, moved: Decimal, balance: Decimal, language: str) -> dict[str, Any]:
    field = "accrued" if code == "bonus_accrue" else "written_off"
    key = "OK_ACCRUE" if code == "bonus_accrue" else "OK_WRITE_OFF"
    return {
        "ok": "Y",
        field: str(moved),
        "balance": str(balance),
        "error_code": "",
        "error_message": "",
        "log_message": message(key, language, amount=moved, balance=balance),
    }


def refusal(code: str, error: str, balance: Decimal, language: str, **details: Any) -> dict[str, Any]:
    field = "accrued" if code == "bonus_accrue" else "written_off"
    text = message(error, language, **details)
    return {
        "ok": "N",
        field: "0",
        "balance": str(balance),
        "error_code": error,
        "error_message": text,
        "log_message": f"{error}: {text}",
    }


def _request_answer(request_id: int | None, status: str, error: str, text: str) -> dict[str, Any]:
    return {
        "request_id": "" if request_id is None else str(request_id),
        "status": status,
        "error_code": error,
        "error_message": text if error else "",
        "log_message": f"{error}: {text}" if error else text,
    }


def request_refused(request_id: int | None, error: str, language: str, **details: Any) -> dict[str, Any]:
    """``bonus_request``'s answer when it is refused (at once, or cancelled later)."""
    return _request_answer(request_id, "refused", error, message(error, language, **details))


def request_approved(request_id: int, language: str) -> dict[str, Any]:
    return _request_answer(
        request_id, "approved", "", message("REQUEST_APPROVED", language, request=request_id)
    )
