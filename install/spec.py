"""What the app creates on a portal, with names in the portal's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROBOT_CODE = "bonus_writeoff"
ACCRUE_CODE = "bonus_accrue"
ROBOT_CODES = (ROBOT_CODE, ACCRUE_CODE)
DEAL_EVENTS = ("ONCRMDEALADD", "ONCRMDEALUPDATE", "ONCRMDEALDELETE")
APP_EVENTS = (*DEAL_EVENTS, "ONAPPUNINSTALL")
# Reconciliation by updatedTime finds missed adds and updates, but never a deleted deal: the
# offline queue keeps deletions for us (one record per deal), drained on the same schedule.
OFFLINE_EVENTS = ("ONCRMDEALDELETE",)
TABS = ("CRM_DEAL_DETAIL_TAB", "CRM_CONTACT_DETAIL_TAB", "CRM_COMPANY_DETAIL_TAB")
BALANCE_FIELD = "UF_CRM_BONUS_BALANCE"
PERCENT_FIELD = "UF_CRM_BONUS_PERCENT"

# Registry stages: our state -> (stage code on the portal, semantics, sort). Codes of the
# default stages a new smart process gets are reused so nothing has to be deleted.
STAGES: dict[str, tuple[str, str | None, int]] = {
    "pending": ("NEW", None, 10),
    "active": ("PREPARATION", None, 20),
    "written_off": ("SUCCESS", "S", 50),
    "cancelled": ("FAIL", "F", 60),
    "expired": ("EXPIRED", "F", 70),
}
# Registry item fields: suffix -> (type, precision/None)
REGISTRY_FIELDS: dict[str, str] = {
    "OPERATION": "string",
    "AMOUNT": "double",
    "BALANCE_AFTER": "double",
    "EXPIRES_AT": "date",
    "REASON": "string",
}

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Бонусы",
        "balance": "Бонусный баланс",
        "percent": "Процент бонусов",
        "robot": "Списать бонусы",
        "robot_description": "Списывает бонусы с баланса клиента",
        "accrue_robot": "Начислить бонусы",
        "accrue_robot_description": "Начисляет бонусы клиенту вручную, с обязательным основанием",
        "reason": "Основание",
        "accrued": "Начислено",
        "amount": "Сумма",
        "comment": "Комментарий",
        "notify": "Уведомить клиента",
        "ok": "Успешно",
        "written_off": "Списано",
        "new_balance": "Баланс",
        "error_code": "Код ошибки",
        "error_message": "Сообщение об ошибке",
        "none": "Не уведомлять",
        "pending": "Ожидают",
        "active": "Активны",
        "cancelled": "Отменены",
        "expired": "Сгорели",
        "OPERATION": "Операция",
        "AMOUNT": "Сумма",
        "BALANCE_AFTER": "Баланс после",
        "EXPIRES_AT": "Сгорают",
        "REASON": "Основание",
    },
    "en": {
        "title": "Bonuses",
        "balance": "Bonus balance",
        "percent": "Bonus percent",
        "robot": "Write off bonuses",
        "robot_description": "Debits the client's bonus balance",
        "accrue_robot": "Accrue bonuses",
        "accrue_robot_description": "Credits bonuses to the client by hand, with a required reason",
        "reason": "Reason",
        "accrued": "Accrued",
        "amount": "Amount",
        "comment": "Comment",
        "notify": "Notify the client",
        "ok": "Success",
        "written_off": "Written off",
        "new_balance": "Balance",
        "error_code": "Error code",
        "error_message": "Error message",
        "none": "Do not notify",
        "pending": "Pending",
        "active": "Active",
        "cancelled": "Cancelled",
        "expired": "Expired",
        "OPERATION": "Operation",
        "AMOUNT": "Amount",
        "BALANCE_AFTER": "Balance after",
        "EXPIRES_AT": "Expires",
        "REASON": "Reason",
    },
}


@dataclass(frozen=True)
class Urls:
    base: str

    @property
    def events(self) -> str:
        return f"{self.base}/events"

    def robot(self, code: str) -> str:
        return f"{self.base}/robots/{code}"

    @property
    def tab(self) -> str:
        return f"{self.base}/placements/tab"


def texts(language: str) -> dict[str, str]:
    return TEXTS["ru" if language == "ru" else "en"]


def _label(t: dict[str, str], key: str) -> dict[str, str]:
    return {"ru": TEXTS["ru"][key], "en": TEXTS["en"][key]} if key in TEXTS["en"] else {"en": t[key]}


def robot_fields(language: str, handler: str, user_id: int, code: str = ROBOT_CODE) -> dict[str, Any]:
    """The bizproc.robot.add / bizproc.activity.add parameters for ``bonus_writeoff`` or ``bonus_accrue``."""
    t = texts(language)
    accrue = code == ACCRUE_CODE
    second = (
        {"reason": {"Name": _label(t, "reason"), "Type": "text", "Required": "Y"}}
        if accrue
        else {"comment": {"Name": _label(t, "comment"), "Type": "text", "Required": "N"}}
    )
    moved = "accrued" if accrue else "written_off"
    return {
        "CODE": code,
        "HANDLER": handler,
        "AUTH_USER_ID": user_id,
        "USE_SUBSCRIPTION": "Y",
        "NAME": _label(t, "accrue_robot" if accrue else "robot"),
        "DESCRIPTION": _label(t, "accrue_robot_description" if accrue else "robot_description"),
        "PROPERTIES": {
            "amount": {"Name": _label(t, "amount"), "Type": "double", "Required": "Y", "Multiple": "N"},
            **second,
            "notify": {
                "Name": _label(t, "notify"),
                "Type": "select",
                "Options": {"none": t["none"], "email": "E-mail", "sms": "SMS", "whatsapp": "WhatsApp"},
                "Default": "none",
            },
        },
        "RETURN_PROPERTIES": {
            "ok": {"Name": _label(t, "ok"), "Type": "string"},
            moved: {"Name": _label(t, moved), "Type": "double"},
            "balance": {"Name": _label(t, "new_balance"), "Type": "double"},
            "error_code": {"Name": _label(t, "error_code"), "Type": "string"},
            "error_message": {"Name": _label(t, "error_message"), "Type": "string"},
        },
        "DOCUMENT_TYPE": ["crm", "CCrmDocumentDeal", "DEAL"],
        "FILTER": {
            "INCLUDE": [
                ["crm", "CCrmDocumentDeal"],
                ["crm", "CCrmDocumentContact"],
                ["crm", "CCrmDocumentCompany"],
                ["crm", "Bitrix\\Crm\\Integration\\BizProc\\Document\\Dynamic"],
            ]
        },
    }


def _double_field(name: str, label_key: str, language: str, **extra: Any) -> dict[str, Any]:
    """A two-decimal number field for crm.{contact,company,deal}.userfield.add."""
    t = texts(language)
    label = _label(t, label_key)
    return {
        "FIELD_NAME": name,
        "USER_TYPE_ID": "double",
        "LABEL": t[label_key],
        "EDIT_FORM_LABEL": label,
        "LIST_COLUMN_LABEL": label,
        "MANDATORY": "N",
        "SHOW_FILTER": "Y",
        **extra,
    }


def balance_field(language: str) -> dict[str, Any]:
    # Managers must not edit the balance by hand: the ledger is the truth.
    return _double_field(
        "BONUS_BALANCE", "balance", language, EDIT_IN_LIST="N", SETTINGS={"PRECISION": 2, "DEFAULT_VALUE": 0}
    )


def percent_field(language: str) -> dict[str, Any]:
    return _double_field("BONUS_PERCENT", "percent", language, SETTINGS={"PRECISION": 2})


def smart_process_fields(language: str) -> dict[str, Any]:
    return {
        "title": texts(language)["title"],
        "isStagesEnabled": "Y",
        "isCategoriesEnabled": "N",
        "isClientEnabled": "Y",
        "isAutomationEnabled": "Y",
        "isBizProcEnabled": "Y",
        "isRecyclebinEnabled": "N",
        "isLinkWithProductsEnabled": "N",
        "relations": {"parent": [{"entityTypeId": 2, "isChildrenListEnabled": "true"}]},
    }
