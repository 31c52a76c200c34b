"""The exact form-encoded shape of what the portal posts to the app: install, events, robots, uninstall."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.emulator import driver
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator, QuietHandler


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.got.append((request.path, dict(request.form), dict(request.args)))
        return Response("ok")(environ, start_response)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def test_ui_install_form_and_query(emulator: Emulator, receiver: Receiver) -> None:
    portal = emulator.add_portal(lang="ru")
    driver.install_ui(emulator, portal, CLIENT_ID, receiver.url + "/install")
    path, form, query = receiver.got[0]
    assert {
        "AUTH_ID",
        "AUTH_EXPIRES",
        "REFRESH_ID",
        "SERVER_ENDPOINT",
        "member_id",
        "status",
        "PLACEMENT",
        "APPLICATION_TOKEN",
        "APPLICATION_SCOPE",
    } <= set(form)
    assert query["PROTOCOL"] == "0" and query["LANG"] == "ru" and "APP_SID" in query
    assert not portal.apps[CLIENT_ID].installed  # only after installFinish


def test_api_install_and_events_with_and_without_tokens(emulator: Emulator, receiver: Receiver) -> None:
    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, receiver.url + "/install")
    _, form, _ = receiver.got[0]
    assert form["event"] == "ONAPPINSTALL" and form["auth[client_endpoint]"] == emulator.client_endpoint(
        portal
    )
    assert {
        "auth[access_token]",
        "auth[refresh_token]",
        "auth[application_token]",
        "data[LANGUAGE_ID]",
    } <= set(form)
    portal.apps[CLIENT_ID].events.append(
        {"id": 7, "event": "ONCRMDEALUPDATE", "handler": receiver.url + "/ev", "auth_type": "0", "offline": 0}
    )
    deal = driver.create_deal(emulator, portal, TITLE="x")
    driver.update_deal(emulator, portal, deal, STAGE_ID="WON")
    driver.update_deal(emulator, portal, deal, user_id=None, OPPORTUNITY="10")
    by_user, by_robot = receiver.got[1][1], receiver.got[2][1]
    assert by_user["data[FIELDS][ID]"] == str(deal) and by_user["event_handler_id"] == "7"
    assert "auth[access_token]" in by_user and "auth[access_token]" not in by_robot
    assert by_robot["auth[application_token]"] == portal.apps[CLIENT_ID].application_token
    assert portal.deals[deal]["STAGE_SEMANTIC_ID"] == "S"


def test_robot_delivery_shape_and_answer(emulator: Emulator, receiver: Receiver) -> None:
    portal = emulator.add_portal()
    app = emulator.app_install(portal, CLIENT_ID)
    app.robots["bonus_writeoff"] = {"HANDLER": receiver.url + "/robot"}
    run, _ = driver.start_robot(
        emulator,
        portal,
        CLIENT_ID,
        "bonus_writeoff",
        ["crm", "CCrmDocumentDeal", "DEAL_5"],
        {"amount": "100"},
    )
    _, form, _ = receiver.got[0]
    assert form["document_id[2]"] == "DEAL_5" and form["document_type[2]"] == "DEAL"
    assert form["properties[amount]"] == "100" and form["event_token"] == run.event_token
    assert form["use_subscription"] == "Y" and "auth[access_token]" in form


def test_dropped_deliveries(emulator: Emulator, receiver: Receiver) -> None:
    portal = emulator.add_portal()
    app = emulator.app_install(portal, CLIENT_ID)
    app.installed = True
    app.events.append(
        {"id": 1, "event": "ONCRMDEALADD", "handler": receiver.url + "/ev", "auth_type": "0", "offline": 0}
    )
    emulator.faults.drop_deliveries(1)
    driver.create_deal(emulator, portal, TITLE="lost")
    driver.create_deal(emulator, portal, TITLE="kept")
    assert len(receiver.got) == 1 and emulator.stats.dropped_deliveries == 1


def test_placement_open_shape(emulator: Emulator, receiver: Receiver) -> None:
    portal = emulator.add_portal()
    emulator.app_install(portal, CLIENT_ID).placements.append(
        {"placement": "CRM_CONTACT_DETAIL_TAB", "handler": receiver.url + "/tab"}
    )
    driver.open_placement(emulator, portal, CLIENT_ID, "CRM_CONTACT_DETAIL_TAB", 55)
    _, form, query = receiver.got[0]
    assert form["PLACEMENT"] == "CRM_CONTACT_DETAIL_TAB" and form["PLACEMENT_OPTIONS"] == '{"ID": "55"}'
    assert {"AUTH_ID", "APPLICATION_TOKEN", "member_id"} <= set(form) and query["PROTOCOL"] == "0"
