"""What the app creates on a portal, with names in the portal's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from b24app import i18n
from b24app.i18n import N_

ROBOT_CODE = "bonus_writeoff"
ACCRUE_CODE = "bonus_accrue"
ROBOT_CODES = (ROBOT_CODE, ACCRUE_CODE, "bonus_request")
DEAL_EVENTS = ("ONCRMDEALADD", "ONCRMDEALUPDATE", "ONCRMDEALDELETE")
# Clients for the campaigns' mirror: events carry ids only, the lane reads the clients back.
CLIENT_EVENTS = tuple(
    f"ONCRM{entity}{verb}" for entity in ("CONTACT", "COMPANY") for verb in ("ADD", "UPDATE", "DELETE")
)
# ONCRMDYNAMICITEMUPDATE: a bonus request moved in its kanban.
APP_EVENTS = (*DEAL_EVENTS, *CLIENT_EVENTS, "ONAPPUNINSTALL", "ONCRMDYNAMICITEMUPDATE")
# Reconciliation by updatedTime finds missed adds and updates, but never a deleted deal: the
# offline queue keeps deletions for us (one record per deal), drained on the same schedule.
OFFLINE_EVENTS = ("ONCRMDEALDELETE",)
# The registry's own items, per type (events/index.md: the ``_{entityTypeId}`` form exists for smart
# processes): a hand edit or deletion is put back from the ledger. Bound online and offline (the
# offline queue is the safety net the reconciliation schedule drains).
GUARD_VERBS = ("UPDATE", "DELETE")


def guard_events(entity_type_id: int) -> tuple[str, ...]:
    return tuple(f"ONCRMDYNAMICITEM{verb}_{entity_type_id}" for verb in GUARD_VERBS)


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

TEXTS: dict[str, str] = {  # English msgids; the catalogs of b24app.i18n translate them
    "title": N_("Bonuses"),
    "balance": N_("Bonus balance"),
    "percent": N_("Bonus percent"),
    "robot": N_("Write off bonuses"),
    "robot_description": N_("Debits the client's bonus balance"),
    "accrue_robot": N_("Accrue bonuses"),
    "accrue_robot_description": N_("Credits bonuses to the client by hand, with a required reason"),
    "reason": N_("Reason"),
    "accrued": N_("Accrued"),
    "amount": N_("Amount"),
    "comment": N_("Comment"),
    "notify": N_("Notify the client"),
    "ok": N_("Success"),
    "written_off": N_("Written off"),
    "new_balance": N_("Balance"),
    "error_code": N_("Error code"),
    "error_message": N_("Error message"),
    "none": N_("Do not notify"),
    "pending": N_("Pending"),
    "active": N_("Active"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Expired"),
    "OPERATION": N_("Operation"),
    "AMOUNT": N_("Amount"),
    "BALANCE_AFTER": N_("Balance after"),
    "EXPIRES_AT": N_("Expires"),
    "REASON": N_("Reason"),
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
    return {key: i18n.t(language, text) for key, text in TEXTS.items()}


def _label(words: dict[str, str], key: str) -> dict[str, str]:
    return i18n.both(TEXTS[key]) if key in TEXTS else {"en": words[key]}


def _robot_properties(words: dict[str, str], accrue: bool) -> dict[str, Any]:
    second = (
        {"reason": {"Name": _label(words, "reason"), "Type": "text", "Required": "Y"}}
        if accrue
        else {"comment": {"Name": _label(words, "comment"), "Type": "text", "Required": "N"}}
    )
    return {
        "amount": {"Name": _label(words, "amount"), "Type": "double", "Required": "Y", "Multiple": "N"},
        **second,
        "notify": {
            "Name": _label(words, "notify"),
            "Type": "select",
            "Options": {"none": words["none"], "email": "E-mail", "sms": "SMS", "whatsapp": "WhatsApp"},
            "Default": "none",
        },
    }


def _robot_returns(words: dict[str, str], accrue: bool) -> dict[str, Any]:
    moved = "accrued" if accrue else "written_off"
    return {
        "ok": {"Name": _label(words, "ok"), "Type": "string"},
        moved: {"Name": _label(words, moved), "Type": "double"},
        "balance": {"Name": _label(words, "new_balance"), "Type": "double"},
        "error_code": {"Name": _label(words, "error_code"), "Type": "string"},
        "error_message": {"Name": _label(words, "error_message"), "Type": "string"},
    }


def robot_fields(language: str, handler: str, user_id: int, code: str = ROBOT_CODE) -> dict[str, Any]:
    """The bizproc.robot.add / bizproc.activity.add parameters for ``bonus_writeoff`` or ``bonus_accrue``."""
    words = texts(language)
    accrue = code == ACCRUE_CODE
    return {
        "CODE": code,
        "HANDLER": handler,
        "AUTH_USER_ID": user_id,
        "USE_SUBSCRIPTION": "Y",
        "NAME": _label(words, "accrue_robot" if accrue else "robot"),
        "DESCRIPTION": _label(words, "accrue_robot_description" if accrue else "robot_description"),
        "PROPERTIES": _robot_properties(words, accrue),
        "RETURN_PROPERTIES": _robot_returns(words, accrue),
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
    words = texts(language)
    label = _label(words, label_key)
    return {
        "FIELD_NAME": name,
        "USER_TYPE_ID": "double",
        "LABEL": words[label_key],
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
    return _process_fields(texts(language)["title"])


def _process_fields(title: str) -> dict[str, Any]:
    """crm.type.add fields of our smart processes: stages, a client, shown inside the deal."""
    return {
        "title": title,
        "isStagesEnabled": "Y",
        "isCategoriesEnabled": "N",
        "isClientEnabled": "Y",
        "isAutomationEnabled": "Y",
        "isBizProcEnabled": "Y",
        "isRecyclebinEnabled": "N",
        "isLinkWithProductsEnabled": "N",
        "relations": {"parent": [{"entityTypeId": 2, "isChildrenListEnabled": "true"}]},
    }


# -- approvals (issue 17): the bonus_request robot and the "Bonus requests" smart process ---------------
REQUEST_CODE = "bonus_request"
ITEM_UPDATE_EVENT = "ONCRMDYNAMICITEMUPDATE"  # kanban moves of requests; other types are ignored
# Request stages: our status -> (stage code, semantics, sort); the new type's default codes reused.
REQUEST_STAGES: dict[str, tuple[str, str | None, int]] = {
    "pending": ("NEW", None, 10),
    "approved": ("SUCCESS", "S", 40),
    "cancelled": ("FAIL", "F", 50),
}
REQUEST_TEXTS: dict[str, str] = {
    "requests_title": N_("Bonus requests"),
    "request_robot": N_("Request a bonus or discount"),
    "request_robot_description": N_("Creates a request from an approval definition; approvers decide"),
    "definition": N_("Definition code"),
    "percent_value": N_("Percent"),
    "request_id": N_("Request"),
    "status": N_("Status"),
    "pending": N_("Pending"),
    "approved": N_("Approved"),
    "cancelled": N_("Cancelled"),
}


def request_texts(language: str) -> dict[str, str]:
    return {key: i18n.t(language, text) for key, text in REQUEST_TEXTS.items()}


def request_robot_fields(language: str, handler: str, user_id: int) -> dict[str, Any]:
    """bizproc.robot.add / bizproc.activity.add for ``bonus_request`` (PRODUCT.md "Approvals")."""
    words = texts(language)

    def label(key: str) -> dict[str, str]:
        return i18n.both(REQUEST_TEXTS[key]) if key in REQUEST_TEXTS else _label(words, key)

    text = {"Type": "string"}
    return {
        "CODE": REQUEST_CODE,
        "HANDLER": handler,
        "AUTH_USER_ID": user_id,
        "USE_SUBSCRIPTION": "Y",
        "NAME": label("request_robot"),
        "DESCRIPTION": label("request_robot_description"),
        "PROPERTIES": {
            "definition": {"Name": label("definition"), "Type": "string", "Required": "Y", "Multiple": "N"},
            "amount": {"Name": label("amount"), "Type": "double", "Required": "N", "Multiple": "N"},
            "percent": {"Name": label("percent_value"), "Type": "double", "Required": "N", "Multiple": "N"},
            "reason": {"Name": label("reason"), "Type": "text", "Required": "Y"},
            "notify": _robot_properties(words, False)["notify"],
        },
        "RETURN_PROPERTIES": {
            "request_id": {"Name": label("request_id"), **text},
            "status": {"Name": label("status"), **text},
            "error_code": {"Name": label("error_code"), **text},
            "error_message": {"Name": label("error_message"), **text},
        },
        "DOCUMENT_TYPE": ["crm", "CCrmDocumentDeal", "DEAL"],
        "FILTER": {"INCLUDE": [["crm", "CCrmDocumentDeal"]]},  # a request is made on a deal
    }


def requests_process_fields(language: str) -> dict[str, Any]:
    """crm.type.add for "Bonus requests": stages, a client, shown inside the deal (b24-patterns.md §1)."""
    return _process_fields(request_texts(language)["requests_title"])
