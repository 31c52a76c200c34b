"""Outbound webhooks: a real local HTTP receiver checks each delivery's signature; its first answer is
a 500, so the worker retries with backoff and the event arrives (at least once, same id)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from b24app.clock import FrozenClock
from bootstrap.console import main
from tests.e2e.api_support import Api, contact_with_bonus, make_key
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


class Receiver:
    """A local HTTP server that verifies signatures; the first ``fail_first`` calls get a 500."""

    def __init__(self, fail_first: int = 1) -> None:
        self.secret = ""
        self.calls: list[dict[str, Any]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                mac = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(mac, self.headers.get("X-Bonus-Signature", ""))
                receiver.calls.append(
                    {"valid": valid, "id": self.headers["X-Bonus-Event-Id"], "body": json.loads(body)}
                )
                self.send_response(500 if len(receiver.calls) <= receiver.fail_first else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_movements_are_delivered_signed_and_retried_after_a_500(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    clock: FrozenClock,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    assert main(["webhook", portal.member_id, "add", receiver.url], container=app.container) == 0
    receiver.secret = json.loads(capsys.readouterr().out)["secret"]
    contact = contact_with_bonus(app, emulator, portal)  # accrued: owed, first try answered 500
    assert [c["valid"] for c in receiver.calls] == [True]
    api = Api(app, make_key(app, portal, capsys, "till", "spend"))
    spent = api.post(
        "/spend", {"client": {"type": "contact", "id": contact}, "amount": "30", "idempotency_key": "s"}
    )
    assert spent.status_code == 200
    app.drain()
    clock.advance(seconds=10)  # past the first retry's backoff
    app.container.jobs.enqueue_lane(portal_id_of(app))
    app.drain()
    assert all(c["valid"] for c in receiver.calls)
    events = {c["id"]: c["body"] for c in receiver.calls}
    accrued = [b for b in events.values() if b["event"] == "accrued"]
    spent_events = [b for b in events.values() if b["event"] == "spent"]
    assert len(accrued) == 1 and accrued[0]["data"]["amount"] == "100.00"
    assert accrued[0]["data"]["client"] == {"type": "contact", "id": contact}
    assert len(spent_events) == 1 and spent_events[0]["data"]["balance_after"] == "70.00"
    first_id = receiver.calls[0]["id"]
    assert [c["id"] for c in receiver.calls].count(first_id) == 2  # the retry carries the same id


def test_a_removed_url_gets_nothing_and_bad_urls_are_refused(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["webhook", portal.member_id, "add", receiver.url], container=app.container) == 0
    assert main(["webhook", portal.member_id, "remove", receiver.url], container=app.container) == 0
    contact_with_bonus(app, emulator, portal)
    assert receiver.calls == []
    with pytest.raises(SystemExit, match="http"):
        main(["webhook", portal.member_id, "add", "ftp://x/y"], container=app.container)
    capsys.readouterr()
    assert main(["webhook", portal.member_id, "list"], container=app.container) == 0
    listed = json.loads(capsys.readouterr().out)
    assert (
        listed["endpoints"] == [{"id": 1, "url": receiver.url, "active": False}]
        and len(listed["secret"]) == 64
    )
