"""Playing the portal towards the app: installs, deal changes with events, robots, uninstall."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.emulator import driver_crm, driver_setup, methods_crm
from tests.emulator.portal import Portal, RobotRun
from tests.emulator.protocol import Delivery
from tests.emulator.server import Emulator


@dataclass(frozen=True)
class Frame:
    """A page the portal opens in its frame: the form it POSTs to ``url`` with ``query`` appended."""

    url: str
    form: list[tuple[str, str]]
    query: dict[str, str]

    def address(self) -> str:
        return f"{self.url}{'&' if '?' in self.url else '?'}{urlencode(self.query)}"


def frame(
    emu: Emulator, portal: Portal, client_id: str, url: str, user_id: int, extra: list[tuple[str, str]]
) -> Frame:
    """What the portal posts when it opens one of the app's pages in a frame (install, placements)."""
    app = emu.app_install(portal, client_id)
    tokens = emu.issue_tokens(portal, client_id, user_id)
    form = [
        ("AUTH_ID", tokens.access_token),
        ("AUTH_EXPIRES", str(tokens.expires_in)),
        ("REFRESH_ID", tokens.refresh_token),
        ("SERVER_ENDPOINT", emu.oauth_rest_url()),
        ("member_id", portal.member_id),
        ("status", "L"),
        ("APPLICATION_TOKEN", app.application_token),
        ("APPLICATION_SCOPE", "crm,bizproc,placement"),
        *extra,
    ]
    query = {
        "DOMAIN": emu.ui_domain(portal),
        "PROTOCOL": "0",
        "LANG": portal.lang,
        "APP_SID": secrets.token_hex(16),
    }
    return Frame(url, form, query)


def install_ui_frame(
    emu: Emulator, portal: Portal, client_id: str, install_url: str, user_id: int = 1
) -> Frame:
    """The UI scenario's install page as the portal opens it (for a browser to post)."""
    emu.app_install(portal, client_id).app_host = urlsplit(install_url).netloc
    return frame(emu, portal, client_id, install_url, user_id, [("PLACEMENT", "DEFAULT")])


def install_ui(emu: Emulator, portal: Portal, client_id: str, install_url: str, user_id: int = 1) -> Delivery:
    """The UI scenario: the install page opened in the portal's frame (POST form, DOMAIN in the query)."""
    page = install_ui_frame(emu, portal, client_id, install_url, user_id)
    return emu.deliver(page.url, page.form, page.query)


def install_finish(emu: Emulator, portal: Portal, client_id: str) -> None:
    """What ``BX24.installFinish()`` does: from now on events and widgets are delivered."""
    emu.app_install(portal, client_id).installed = True


def install_api(
    emu: Emulator, portal: Portal, client_id: str, install_url: str, user_id: int = 1
) -> Delivery:
    """The API-only scenario: an ONAPPINSTALL body; the app counts as installed at once."""
    app = emu.app_install(portal, client_id)
    app.installed = True
    app.app_host = urlsplit(install_url).netloc
    tokens = emu.issue_tokens(portal, client_id, user_id)
    form = [
        ("event", "ONAPPINSTALL"),
        ("data[VERSION]", "1"),
        ("data[ACTIVE]", "Y"),
        ("data[INSTALLED]", "Y"),
        ("data[LANGUAGE_ID]", portal.lang),
        ("ts", str(int(emu.now()))),
        ("auth[access_token]", tokens.access_token),
        ("auth[refresh_token]", tokens.refresh_token),
        ("auth[expires]", str(tokens.expires)),
        ("auth[expires_in]", str(tokens.expires_in)),
        ("auth[scope]", "crm bizproc placement"),
        # api-reference/common/events/on-app-install.md: the sample's auth block has no user_id
        ("auth[domain]", portal.domain),
        ("auth[server_endpoint]", emu.oauth_rest_url()),
        ("auth[client_endpoint]", emu.client_endpoint(portal)),
        ("auth[member_id]", portal.member_id),
        ("auth[status]", "L"),
        ("auth[application_token]", app.application_token),
    ]
    return emu.deliver(install_url, form)


def uninstall(emu: Emulator, portal: Portal, client_id: str, clean: bool = False) -> list[Delivery]:
    """The app is deleted: its tokens stop working at once (settings/app-uninstallation.md: "the
    saved tokens will no longer work"), ONAPPUNINSTALL goes to its handlers, bindings are gone."""
    app = emu.app_install(portal, client_id)
    emu.revoke_tokens(portal, client_id)
    deliveries = []
    for binding in [b for b in app.events if b["event"] == "ONAPPUNINSTALL"]:
        form = [
            ("event", "ONAPPUNINSTALL"),
            ("data[LANGUAGE_ID]", portal.lang),
            ("data[CLEAN]", "1" if clean else "0"),
            ("ts", str(int(emu.now()))),
            ("auth[domain]", portal.domain),
            ("auth[server_endpoint]", emu.oauth_rest_url()),
            ("auth[client_endpoint]", emu.client_endpoint(portal)),
            ("auth[member_id]", portal.member_id),
            ("auth[application_token]", app.application_token),
        ]
        deliveries.append(emu.deliver(binding["handler"], form))
    app.events, app.placements, app.installed = [], [], False
    return deliveries


def create_deal(emu: Emulator, portal: Portal, *, user_id: int | None = 1, **fields: Any) -> int:
    """A deal created by a user (their tokens in ``auth``) or by automation (``user_id=None``)."""
    with emu.lock:
        return methods_crm.add_entity(portal, "deal", fields, user_id)


def set_product_rows(emu: Emulator, portal: Portal, deal_id: int, rows: list[dict[str, Any]]) -> None:
    with emu.lock:
        methods_crm.set_product_rows(portal, deal_id, rows)


def update_deal(
    emu: Emulator, portal: Portal, deal_id: int, *, user_id: int | None = 1, **fields: Any
) -> None:
    with emu.lock:
        methods_crm.update_entity(portal, "deal", deal_id, fields, user_id)


def delete_deal(emu: Emulator, portal: Portal, deal_id: int, *, user_id: int | None = 1) -> None:
    with emu.lock:
        methods_crm.delete_entity(portal, "deal", deal_id, user_id)


def create_contact(emu: Emulator, portal: Portal, **fields: Any) -> int:
    with emu.lock:
        return methods_crm.add_entity(portal, "contact", fields, None)


def create_company(emu: Emulator, portal: Portal, **fields: Any) -> int:
    with emu.lock:
        return methods_crm.add_entity(portal, "company", fields, None)


def start_robot(
    emu: Emulator,
    portal: Portal,
    client_id: str,
    code: str,
    document_id: list[str],
    properties: dict[str, Any],
    user_id: int | None = None,
    document_type: list[str] | None = None,
) -> tuple[RobotRun, Delivery]:
    """Run the app's robot on a document: POST to its HANDLER as the portal's bizproc engine does.

    The ``auth`` block carries the robot's ``AUTH_USER_ID`` (bizproc-robot-add.md: "the user whose
    token will be passed to the application") unless ``user_id`` says otherwise. ``document_type``
    defaults to the one the document belongs to (``[..., "DEAL"]``).
    """
    app = emu.app_install(portal, client_id)
    robot = app.robots.get(code) or app.activities.get(code)
    if robot is None:
        raise KeyError(f"robot {code} is not registered")
    token = (
        f"{secrets.token_hex(6)}.{secrets.token_hex(4)}|A{secrets.randbelow(10**5)}|{secrets.token_hex(12)}"
    )
    user_id = user_id if user_id is not None else int(robot.get("AUTH_USER_ID") or 1)
    run = RobotRun(token, code, document_id, properties)
    portal.robot_runs[token] = run
    entity = document_id[2].rsplit("_", 1)[0]
    document_type = document_type or [*document_id[:2], entity]
    form = [
        ("workflow_id", secrets.token_hex(8)),
        ("code", code),
        *[(f"document_id[{i}]", part) for i, part in enumerate(document_id)],
        *[(f"document_type[{i}]", part) for i, part in enumerate(document_type)],
        ("event_token", token),
        *[(f"properties[{k}]", str(v)) for k, v in properties.items()],
        ("use_subscription", "Y"),
        ("timeout_duration", "0"),
        ("ts", str(int(emu.now()))),
    ]
    return run, emu.deliver(str(robot["HANDLER"]), form + portal.auth_block(app, user_id))


def placement_frame(
    emu: Emulator, portal: Portal, client_id: str, placement: str, entity_id: int, user_id: int = 1
) -> Frame:
    """A card tab as the portal opens it: the placement handler with the user's tokens and options."""
    bound = next(p for p in emu.app_install(portal, client_id).placements if p["placement"] == placement)
    extra = [("PLACEMENT", placement), ("PLACEMENT_OPTIONS", json.dumps({"ID": str(entity_id)}))]
    return frame(emu, portal, client_id, str(bound["handler"]), user_id, extra)


def open_placement(
    emu: Emulator, portal: Portal, client_id: str, placement: str, entity_id: int, user_id: int = 1
) -> Delivery:
    """A user opens a card tab: POST to the placement handler with the user's tokens and options."""
    page = placement_frame(emu, portal, client_id, placement, entity_id, user_id)
    return emu.deliver(page.url, page.form, page.query)


def add_chat(
    portal: Portal, entity_type: str, entity_id: int, connector: str = "whatsapp", *, active: bool = True
) -> str:
    """Link an open-line chat (e.g. WhatsApp) to a contact or company; ``active``: its session is open."""
    chat_id = str(portal.next_id())
    portal.chats.setdefault((entity_type, entity_id), []).append(
        {
            "CHAT_ID": chat_id,
            "CONNECTOR_ID": connector,
            "CONNECTOR_TITLE": connector.title(),
            "ACTIVE": active,
        }
    )
    return chat_id


def control(portal: Portal, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The standalone control API's portal actions (``POST /_emulator/portal/{member_id}/{action}``)."""
    emu = portal.services
    assert isinstance(emu, Emulator)
    actions: dict[str, Any] = {
        "create_deal": lambda: create_deal(emu, portal, **payload),
        "update_deal": lambda: update_deal(emu, portal, **payload),
        "delete_deal": lambda: delete_deal(emu, portal, **payload),
        "create_contact": lambda: create_contact(emu, portal, **payload),
        "create_company": lambda: create_company(emu, portal, **payload),
        "install_api": lambda: install_api(emu, portal, **payload).status,
        "install_ui": lambda: install_ui(emu, portal, **payload).status,
        "install_finish": lambda: install_finish(emu, portal, **payload),
        "uninstall": lambda: [d.status for d in uninstall(emu, portal, **payload)],
        "start_robot": lambda: start_robot(emu, portal, **payload)[0].event_token,
        "open_placement": lambda: open_placement(emu, portal, **payload).status,
        "add_chat": lambda: add_chat(portal, **payload),
        **driver_crm.actions(emu, portal, payload),
        **driver_setup.actions(emu, portal, payload),
    }
    if action not in actions:
        return {"error": "UNKNOWN_ACTION", "error_description": f"no portal action {action!r}"}
    return {"result": actions[action]()}
