"""The list of events an app may bind (``events``) and ``feature.get``.

The list holds exactly the events this emulator delivers, so an app that checks availability first
(api-reference/crm/universal/events/index.md: "Before subscribing, check if such an event is
available ... using the method events") sees what it would really get here.
"""

from __future__ import annotations

from typing import Any

from tests.emulator.portal import Portal
from tests.emulator.protocol import B24Error, CallContext, method

BASIC_EVENTS = ("ONAPPINSTALL", "ONAPPUNINSTALL", "ONAPPUPDATE", "ONOFFLINEEVENT")
CRM_EVENTS = tuple(
    f"ONCRM{entity}{verb}"
    for entity in ("DEAL", "CONTACT", "COMPANY", "DYNAMICITEM")
    for verb in ("ADD", "UPDATE", "DELETE")
)
# feature.get codes (api-reference/common/system/feature-get.md). The offline queue with process_id
# is emulated; auth_connector is not, so the emulator says N and an app must not lean on it.
FEATURES = {"rest_offline_extended": "Y", "rest_auth_connector": "N"}


def available_events(portal: Portal) -> dict[str, str]:
    """Event name -> its scope; the per-type ``ONCRMDYNAMICITEM*_{entityTypeId}`` for each smart process."""
    events = {name: "basic" for name in BASIC_EVENTS}
    events.update({name: "crm" for name in CRM_EVENTS})
    for info in portal.types.values():
        for verb in ("ADD", "UPDATE", "DELETE"):
            events[f"ONCRMDYNAMICITEM{verb}_{int(info['entityTypeId'])}"] = "crm"
    return events


# api-reference/events/events.md: "works only in the context of ... application"
@method("events", app_only=True)
def events_list(ctx: CallContext, params: dict[str, Any]) -> list[str]:
    known = available_events(ctx.portal)
    scope = str(params.get("SCOPE") or params.get("scope") or "").lower()
    if scope:  # "FULL ... will be ignored if the SCOPE parameter is provided"
        return [name for name, event_scope in known.items() if event_scope == scope]
    return list(known)


@method("feature.get")  # api-reference/common/system/feature-get.md
def feature_get(ctx: CallContext, params: dict[str, Any]) -> dict[str, str]:
    code = str(params.get("CODE") or params.get("code") or "")
    if not code:
        raise B24Error("CODE_EMPTY", "CODE can't be empty")
    return {"value": FEATURES.get(code, "N")}
