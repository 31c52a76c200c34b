"""Application-side methods: app.info, profile, events, robots/activities, bizproc answers, placements."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from tests.emulator.methods_events import available_events
from tests.emulator.portal import AppInstall
from tests.emulator.protocol import B24Error, CallContext, method

KNOWN_EVENTS = {
    "ONCRMDEALADD",
    "ONCRMDEALUPDATE",
    "ONCRMDEALDELETE",
    "ONCRMCONTACTADD",
    "ONCRMCONTACTUPDATE",
    "ONCRMCOMPANYUPDATE",
    "ONAPPUNINSTALL",
    "ONAPPINSTALL",
    "ONAPPUPDATE",
    "ONOFFLINEEVENT",
}
PLACEMENT = re.compile(
    r"CRM_(LEAD|DEAL|CONTACT|COMPANY|QUOTE|SMART_INVOICE|ORDER|DYNAMIC_\d+)_DETAIL_(TAB|TOOLBAR|ACTIVITY)"
)
PROPERTY_TYPES = {"bool", "date", "datetime", "double", "file", "int", "select", "string", "text", "user"}


def _app(ctx: CallContext) -> AppInstall:
    return ctx.portal.app(ctx.client_id)


@method("app.info", app_only=True)
def app_info(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    app = _app(ctx)
    family = "ent" if ctx.portal.plan == "enterprise" else "project"
    return {
        "ID": 1,
        "CODE": app.client_id,
        "VERSION": 1,
        "STATUS": "L",
        "INSTALLED": app.installed,
        "PAYMENT_EXPIRED": "N",
        "LANGUAGE_ID": ctx.portal.lang,
        "LICENSE": f"{ctx.portal.lang}_{family}",
        "LICENSE_FAMILY": family,
    }


@method("server.time")
def server_time(ctx: CallContext, params: dict[str, Any]) -> str:
    """api-reference/common/system/server-time.md: now as ``YYYY-MM-DDThh:mm:ss±hh:mm``."""
    offset = ctx.portal.utc_offset
    shift = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:])) * (1 if offset[0] == "+" else -1)
    return datetime.now(timezone(shift)).replace(microsecond=0).isoformat()


@method("profile")
def profile(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    user = ctx.portal.users[ctx.user_id]
    return {"ID": user["ID"], "ADMIN": user["ADMIN"], "NAME": user["NAME"], "LAST_NAME": ""}


@method("user.current")
def user_current(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    return dict(ctx.portal.users[ctx.user_id])


@method("user.admin")
def user_admin(ctx: CallContext, params: dict[str, Any]) -> bool:
    # api-reference/common/users/user-admin.md: whether the token's user may manage app settings.
    return bool(ctx.portal.users[ctx.user_id]["ADMIN"])


@method("event.bind", app_only=True)
def event_bind(ctx: CallContext, params: dict[str, Any]) -> bool:
    app, event = _app(ctx), str(params.get("event") or "").upper()
    if event not in KNOWN_EVENTS and event not in available_events(ctx.portal):
        raise B24Error("ERROR_EVENT_NOT_FOUND", "Event not found")
    offline = str(params.get("event_type") or "online").lower() == "offline"
    handler = "" if offline else str(params.get("handler") or "")
    if not offline and not handler:
        raise B24Error("ERROR_EVENT_NOT_FOUND", "Handler is required")
    if any(b["event"] == event and b["handler"] == handler for b in app.events):
        raise B24Error("ERROR_HANDLER_ALREADY_EXIST", "Handler already exists!")
    app.events.append(
        {
            "id": ctx.portal.next_id(),
            "event": event,
            "handler": handler,
            "auth_type": str(params.get("auth_type") or "0"),
            "offline": int(offline),
        }
    )
    return True


@method("event.unbind", app_only=True)
def event_unbind(ctx: CallContext, params: dict[str, Any]) -> dict[str, int]:
    app, event = _app(ctx), str(params.get("event") or "").upper()
    handler = str(params.get("handler") or "")
    keep = [b for b in app.events if not (b["event"] == event and (not handler or b["handler"] == handler))]
    count, app.events = len(app.events) - len(keep), keep
    return {"count": count}


@method("event.get", app_only=True)
def event_get(ctx: CallContext, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"event": b["event"], "handler": b["handler"], "auth_type": b["auth_type"], "offline": b["offline"]}
        for b in _app(ctx).events
    ]


def _validate_robot(app: AppInstall, params: dict[str, Any]) -> str:
    code = str(params.get("CODE") or "")
    if not code or not re.fullmatch(r"[a-zA-Z0-9._-]+", code):
        raise B24Error("ERROR_ACTIVITY_VALIDATION_FAILURE", "Empty activity code!")
    handler = str(params.get("HANDLER") or "")
    if not handler.startswith(("http://", "https://")):
        raise B24Error("ERROR_WRONG_HANDLER_URL", "Wrong handler URL")
    # bizproc-robot-add.md, bizproc-activity-add.md: "The link must have the same domain where the
    # application is installed" (the code for a refusal is not documented: the URL one is used).
    if app.app_host and urlsplit(handler).netloc != app.app_host:
        raise B24Error("ERROR_WRONG_HANDLER_URL", "Wrong handler URL")
    for key, prop in dict(params.get("PROPERTIES") or {}).items():
        if (
            not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_]*", str(key))
            or str(prop.get("Type")) not in PROPERTY_TYPES
        ):
            raise B24Error("ERROR_ACTIVITY_VALIDATION_FAILURE", "Wrong properties array!")
    return code


def _register_bizproc(kind: str, attr: str) -> None:
    @method(f"bizproc.{kind}.add", app_only=True)
    def add(ctx: CallContext, params: dict[str, Any]) -> bool:
        app = _app(ctx)
        code, registry = _validate_robot(app, params), getattr(app, attr)
        # bizproc-robot/index.md: a robot already is a workflow action; the portal keys both by
        # application and code, so one code is one registration, whichever method made it.
        if code in app.robots or code in app.activities:
            raise B24Error("ERROR_ACTIVITY_ALREADY_INSTALLED", "Activity or Robot already installed!")
        registry[code] = dict(params)
        return True

    @method(f"bizproc.{kind}.list", app_only=True)
    def list_(ctx: CallContext, params: dict[str, Any]) -> list[str]:
        return list(getattr(_app(ctx), attr))

    @method(f"bizproc.{kind}.delete", app_only=True)
    def delete(ctx: CallContext, params: dict[str, Any]) -> bool:
        if getattr(_app(ctx), attr).pop(str(params.get("CODE") or params.get("code")), None) is None:
            raise B24Error("ERROR_ACTIVITY_NOT_FOUND", "Activity or Robot not found!")
        return True


_register_bizproc("robot", "robots")
_register_bizproc("activity", "activities")


@method("bizproc.robot.update", app_only=True)  # api-reference/bizproc/bizproc-robot/bizproc-robot-update.md
def robot_update(ctx: CallContext, params: dict[str, Any]) -> bool:
    app = _app(ctx)
    robot = app.robots.get(str(params.get("CODE") or ""))
    if robot is None:
        raise B24Error("ERROR_ACTIVITY_NOT_FOUND", "Activity or Automation Rule not found!")
    fields = params.get("FIELDS")
    if not isinstance(fields, dict) or not fields:
        raise B24Error("ERROR_ACTIVITY_VALIDATION_FAILURE", "No fields to update")
    _validate_robot(app, {**robot, **fields})
    robot.update(fields)
    return True


def _param(params: dict[str, Any], name: str) -> Any:
    return params.get(name, params.get(name.upper()))


@method("bizproc.event.send")
def event_send(ctx: CallContext, params: dict[str, Any]) -> bool:
    run = ctx.portal.robot_runs.get(str(_param(params, "event_token") or ""))
    if run is None or run.answered:
        raise B24Error("ACCESS_DENIED", "Access denied!", 403)
    run.answered = True
    run.return_values = dict(_param(params, "return_values") or {})
    if _param(params, "log_message"):
        run.log.append(str(_param(params, "log_message")))
    return True


@method("bizproc.activity.log")
def activity_log(ctx: CallContext, params: dict[str, Any]) -> bool:
    run = ctx.portal.robot_runs.get(str(_param(params, "event_token") or ""))
    if run is None:
        raise B24Error("ACCESS_DENIED", "Access denied!", 403)
    message = str(_param(params, "log_message") or "")
    if not message:
        raise B24Error("ERROR_EMPTY_LOG_MESSAGE", "Empty log message")
    run.log.append(message)
    return True


@method("placement.bind", app_only=True, app_only_error="WRONG_AUTH_TYPE")
def placement_bind(ctx: CallContext, params: dict[str, Any]) -> bool:
    app, code = _app(ctx), str(params.get("PLACEMENT") or "")
    if not PLACEMENT.fullmatch(code):
        raise B24Error("ERROR_PLACEMENT_NOT_FOUND", "Placement not found")
    handler = str(params.get("HANDLER") or "")
    if not handler:
        raise B24Error("ERROR_ARGUMENT", "Argument 'HANDLER' is null or empty", argument="HANDLER")
    if any(p["placement"] == code and p["handler"] == handler for p in app.placements):
        raise B24Error("ERROR_ARGUMENT", "Handler already binded")  # stricter: a duplicate is refused
    app.placements.append(
        {
            "placement": code,
            "handler": handler,
            "title": params.get("TITLE"),
            "options": params.get("OPTIONS") or [],
        }
    )
    return True


@method("placement.unbind", app_only=True, app_only_error="WRONG_AUTH_TYPE")
def placement_unbind(ctx: CallContext, params: dict[str, Any]) -> dict[str, int]:
    app, code = _app(ctx), str(params.get("PLACEMENT") or "")
    keep = [p for p in app.placements if p["placement"] != code]
    count, app.placements = len(app.placements) - len(keep), keep
    return {"count": count}


@method("placement.get", app_only=True, app_only_error="WRONG_AUTH_TYPE")
def placement_get(ctx: CallContext, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(p) for p in _app(ctx).placements]
