"""Answers to workflow robots: return values, messages in the portal's language, delivery.

Every robot delivery gets exactly one answer through ``bizproc.event.send``, owed in the same
transaction as the ledger entry (or the refusal) it reports. Bitrix24 accepts one answer per
``event_token``; if a retry finds the token already answered (our first send got through but its
response was lost), the answer counts as delivered.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from registry.bonuses.texts import lang, points

MESSAGES = {
    "ru": {
        "OK_WRITE_OFF": "Списано {amount} бонусов. Баланс: {balance}",
        "OK_ACCRUE": "Начислено {amount} бонусов. Баланс: {balance}",
        "BAD_AMOUNT": "Сумма должна быть положительным числом с точностью до копеек",
        "INSUFFICIENT_BALANCE": "Недостаточно бонусов: доступно {available}",
        "CAP_EXCEEDED": "Превышен лимит списания: не более {cap}",
        "NO_CLIENT": "У документа нет клиента (компании или контакта)",
        "BLOCKED": "Бонусный счёт клиента заблокирован",
        "REASON_REQUIRED": "Укажите основание начисления",
        "APPROVAL_REQUIRED": "Начисление больше {limit} бонусов требует согласования",
        "DOCUMENT_NOT_FOUND": "Документ не найден",
        "UNSUPPORTED_DOCUMENT": "Этот тип документа не поддерживается",
        "CALLER_EXPIRED": "Запуск не удалось проверить вовремя: запустите действие ещё раз",
        "INTERNAL_ERROR": "Не удалось выполнить операцию; подробности у администратора приложения",
    },
    "en": {
        "OK_WRITE_OFF": "Written off {amount} bonuses. Balance: {balance}",
        "OK_ACCRUE": "Accrued {amount} bonuses. Balance: {balance}",
        "BAD_AMOUNT": "The amount must be a positive number with at most two decimals",
        "INSUFFICIENT_BALANCE": "Not enough bonuses: {available} available",
        "CAP_EXCEEDED": "The write-off limit is exceeded: at most {cap}",
        "NO_CLIENT": "The document has no client (company or contact)",
        "BLOCKED": "The client's bonus account is blocked",
        "REASON_REQUIRED": "A reason for the accrual is required",
        "APPROVAL_REQUIRED": "Accruals above {limit} bonuses need approval",
        "DOCUMENT_NOT_FOUND": "The document was not found",
        "UNSUPPORTED_DOCUMENT": "This document type is not supported",
        "CALLER_EXPIRED": "The call could not be verified in time: start the action again",
        "INTERNAL_ERROR": "The operation could not be done; the application's administrator has the details",
    },
}


def message(code: str, language: str, **details: Any) -> str:
    texts = MESSAGES[lang(language)]
    shown = {k: points(v, language) if isinstance(v, Decimal) else v for k, v in details.items()}
    shown.setdefault("available", points(Decimal("0"), language))
    try:
        return texts.get(code, code).format(**shown)
    except (KeyError, IndexError):
        return texts.get(code, code)


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
