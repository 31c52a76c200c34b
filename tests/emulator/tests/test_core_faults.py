"""Injected faults: errors, hangs, lost responses, dropped deliveries, outages; scoping by method."""

from __future__ import annotations

import time

import pytest
import requests

from tests.emulator.server import Emulator
from tests.emulator.tests.conftest import EXECUTED, Receiver


def _hook(emu: Emulator) -> str:
    return emu.add_webhook(emu.add_portal())


@pytest.mark.parametrize(("status", "code"), [(500, "INTERNAL_SERVER_ERROR"), (502, "X"), (503, "Y")])
def test_fail_next_answers_the_given_error_n_times(emulator: Emulator, status: int, code: str) -> None:
    hook = _hook(emulator)
    EXECUTED.clear()
    emulator.faults.fail_next(2, status=status, code=code)
    for _ in range(2):
        answer = requests.post(hook + "test.count", json={"key": "f"}, timeout=5)
        assert answer.status_code == status and answer.json()["error"] == code
    assert requests.post(hook + "test.count", json={"key": "f"}, timeout=5).json()["result"] == 1
    assert EXECUTED["f"] == 1 and emulator.stats.faults_injected == 2


def test_fail_next_scoped_to_a_method(emulator: Emulator) -> None:
    hook = _hook(emulator)
    emulator.faults.fail_next(1, status=500, method="TEST.List")
    assert requests.post(hook + "test.echo", timeout=5).status_code == 200
    assert requests.post(hook + "test.list", timeout=5).status_code == 500
    assert requests.post(hook + "test.list", timeout=5).status_code == 200


def test_a_scoped_fail_inside_a_batch_fails_only_that_command(emulator: Emulator) -> None:
    hook = _hook(emulator)
    emulator.faults.fail_next(1, status=400, code="ACCESS_DENIED", method="test.list")
    answer = requests.post(hook + "batch", json={"cmd": {"a": "test.echo", "b": "test.list"}}, timeout=5)
    assert answer.status_code == 200
    grouped = answer.json()["result"]
    assert grouped["result_error"]["b"]["error"] == "ACCESS_DENIED" and set(grouped["result"]) == {"a"}
    assert emulator.requests.calls("test.list")[0].fault == "fail"


def test_fail_scoped_to_batch_fails_the_whole_request(emulator: Emulator) -> None:
    hook = _hook(emulator)
    emulator.faults.fail_next(1, status=502, code="BAD_GATEWAY", method="batch")
    answer = requests.post(hook + "batch", json={"cmd": {"a": "test.echo"}}, timeout=5)
    assert answer.status_code == 502 and not emulator.requests.calls("test.echo")


def test_timeout_next_hangs_past_the_client_and_does_not_execute(emulator: Emulator) -> None:
    hook = _hook(emulator)
    EXECUTED.clear()
    emulator.faults.timeout_next(1, seconds=0.5)
    with pytest.raises(requests.Timeout):
        requests.post(hook + "test.count", json={"key": "t"}, timeout=0.2)
    time.sleep(0.5)
    assert EXECUTED["t"] == 0
    assert requests.post(hook + "test.count", json={"key": "t"}, timeout=5).json()["result"] == 1


def test_timeout_scoped_to_a_command_hangs_its_batch(emulator: Emulator) -> None:
    hook = _hook(emulator)
    emulator.faults.timeout_next(1, seconds=0.05, method="test.count")
    answer = requests.post(hook + "batch", json={"cmd": {"a": "test.count?key=b"}}, timeout=5)
    assert answer.status_code == 504 and answer.json()["error"] == "GATEWAY_TIMEOUT"


def test_lost_response_executes_but_answers_502(emulator: Emulator) -> None:
    hook = _hook(emulator)
    EXECUTED.clear()
    emulator.faults.lose_response_next(1, method="batch")
    answer = requests.post(hook + "batch", json={"cmd": {"a": "test.count?key=lost"}}, timeout=5)
    assert answer.status_code == 502 and "Bad Gateway" in answer.text
    assert answer.headers["Content-Type"].startswith("text/html")
    assert EXECUTED["lost"] == 1  # the write happened
    assert emulator.requests.calls("batch")[0].fault == "lose_response"


def test_drop_deliveries(emulator: Emulator, receiver: Receiver) -> None:
    emulator.faults.drop_deliveries(1)
    dropped = emulator.deliver(receiver.url + "/ev", [("event", "ONCRMDEALUPDATE")])
    sent = emulator.deliver(receiver.url + "/ev", [("event", "ONCRMDEALUPDATE"), ("data[FIELDS][ID]", "7")])
    assert dropped.status is None and sent.status == 200 and sent.body == "ok"
    assert [g.form for g in receiver.got] == [[("event", "ONCRMDEALUPDATE"), ("data[FIELDS][ID]", "7")]]
    assert emulator.stats.deliveries == 2 and emulator.stats.dropped_deliveries == 1
    assert emulator.deliveries == [dropped, sent]


def test_delivery_to_an_unreachable_app_is_status_none(emulator: Emulator, receiver: Receiver) -> None:
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()
    assert emulator.deliver(url + "/gone", [("a", "b")]).status is None


def test_delivery_form_query_and_status(emulator: Emulator, receiver: Receiver) -> None:
    receiver.status = 500
    form = [("AUTH_ID", "x"), ("auth[domain]", "a.b")]
    delivery = emulator.deliver(receiver.url + "/install", form, {"DOMAIN": "a.b", "LANG": "en"})
    assert delivery.status == 500
    got = receiver.got[0]
    assert got.path == "/install" and got.query == {"DOMAIN": "a.b", "LANG": "en"}
    assert got.form == [("AUTH_ID", "x"), ("auth[domain]", "a.b")]


def test_down_for_an_emulated_period(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    hook = _hook(emu)
    emu.faults.down_for(60)
    answer = requests.post(hook + "test.echo", timeout=5)
    assert answer.status_code == 503 and answer.json()["error"] == "SERVICE_UNAVAILABLE"
    emu.clock.advance(59)
    assert requests.post(hook + "test.echo", timeout=5).status_code == 503
    emu.clock.advance(2)
    assert requests.post(hook + "test.echo", timeout=5).status_code == 200


def test_down_for_one_method_only(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    hook = _hook(emu)
    emu.faults.down_for(10, method="test.list")
    assert requests.post(hook + "test.list", timeout=5).status_code == 503
    assert requests.post(hook + "test.echo", timeout=5).status_code == 200
    assert emu.faults.pending()["outages"][0]["method"] == "test.list"
    emu.faults.clear()
    assert requests.post(hook + "test.list", timeout=5).status_code == 200


def test_faults_come_before_the_bucket(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    hook = _hook(emu)
    emu.faults.fail_next(5)
    for _ in range(5):
        requests.post(hook + "test.echo", timeout=5)
    profile = emu.profile(next(iter(emu.portals.values())))
    assert emu.limiter.level(next(iter(emu.portals)), profile) == 0


def test_a_lost_response_hides_errors_too(emulator: Emulator) -> None:
    hook = _hook(emulator)
    emulator.faults.lose_response_next(1)
    assert requests.post(hook + "test.fail", timeout=5).status_code == 502
    assert emulator.requests.calls("test.fail")[0].fault == "lose_response"
