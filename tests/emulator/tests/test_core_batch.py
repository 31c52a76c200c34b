"""batch: commands, halt, $result references, grouped results, limits on length and nesting."""

from __future__ import annotations

from typing import Any

import requests

from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.emulator.tests.conftest import EXECUTED

GROUPS = {"result", "result_error", "result_total", "result_next", "result_time"}


def _batch(emu: Emulator, cmd: Any, halt: int = 0, **extra: Any) -> requests.Response:
    portal = next(iter(emu.portals.values()), None) or emu.add_portal()
    token = emu.issue_tokens(portal, CLIENT_ID, 1).access_token
    body = {"auth": token, "halt": halt, "cmd": cmd, **extra}
    return requests.post(emu.rest_base(portal) + "batch", json=body, timeout=10)


def test_results_and_references(emulator: Emulator) -> None:
    cmd = {
        "first": "test.echo?fields[ID]=42&list[]=a&list[]=b",
        "whole": "test.echo?id=$result[first][params][fields][ID]",
        "inside": "test.echo?title=Deal%20%23$result[first][params][fields][ID]"
        "%20of%20$result[first][params][list][1]",
        "typed": "test.echo?all=$result[first][params][list]",
        "dangling": "test.echo?x=$result[nothing][ID]",
    }
    answer = _batch(emulator, cmd)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"result", "time"} and set(body["result"]) == GROUPS
    results = body["result"]["result"]
    assert results["first"]["via_batch"] == "first" and results["first"]["auth_kind"] == "oauth"
    assert results["whole"]["params"]["id"] == "42"
    assert results["inside"]["params"]["title"] == "Deal #42 of b"
    assert results["typed"]["params"]["all"] == ["a", "b"]
    assert results["dangling"]["params"]["x"] == "$result[nothing][ID]"
    assert body["result"]["result_error"] == [] and body["result"]["result_total"] == []
    assert body["result"]["result_next"] == []
    assert set(body["result"]["result_time"]["first"]) == {
        "start",
        "finish",
        "duration",
        "processing",
        "date_start",
        "date_finish",
    }


def test_list_commands_total_next_and_list_of_commands(emulator: Emulator) -> None:
    answer = _batch(emulator, ["test.list?count=70", "test.list?count=70&start=50", "test.echo"])
    grouped = answer.json()["result"]
    assert list(grouped["result"]) == ["0", "1", "2"]
    assert len(grouped["result"]["0"]) == 50 and len(grouped["result"]["1"]) == 20
    assert grouped["result_total"] == {"0": 70, "1": 70}
    assert grouped["result_next"] == {"0": 50}


def test_halt_zero_runs_on_and_halt_one_stops(emulator: Emulator) -> None:
    cmd = {"a": "test.echo", "bad": "test.fail?code=NOT_FOUND&text=Nope", "c": "test.echo"}
    on = _batch(emulator, cmd, halt=0).json()["result"]
    assert set(on["result"]) == {"a", "c"}
    assert on["result_error"] == {"bad": {"error": "NOT_FOUND", "error_description": "Nope", "argument": "x"}}
    assert set(on["result_time"]) == {"a", "c"}
    stop = _batch(emulator, cmd, halt=1).json()["result"]
    assert set(stop["result"]) == {"a"} and set(stop["result_error"]) == {"bad"}


def test_only_errors_gives_empty_lists(emulator: Emulator) -> None:
    grouped = _batch(emulator, {"x": "no.such.method"}).json()["result"]
    assert grouped["result"] == [] and grouped["result_time"] == []
    assert grouped["result_error"] == {
        "x": {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}
    }


def test_more_than_fifty_commands_is_refused(emulator: Emulator) -> None:
    ok = _batch(emulator, {f"c{i}": "test.echo" for i in range(50)})
    assert ok.status_code == 200 and len(ok.json()["result"]["result"]) == 50
    EXECUTED.clear()
    too_many = _batch(emulator, {f"c{i}": "test.count?key=over" for i in range(51)})
    assert too_many.status_code == 400
    assert too_many.json()["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"
    assert EXECUTED["over"] == 0


def test_nested_batch_is_a_per_command_error(emulator: Emulator) -> None:
    answer = _batch(emulator, {"inner": "batch?cmd[x]=test.echo", "fine": "test.echo"})
    assert answer.status_code == 200
    grouped = answer.json()["result"]
    assert grouped["result_error"]["inner"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert set(grouped["result"]) == {"fine"}


def test_commands_use_the_batch_auth_only(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    other = emulator.add_portal()
    stranger = emulator.issue_tokens(other, CLIENT_ID, 2).access_token
    grouped = _batch(emulator, {"a": f"test.echo?auth={stranger}"}).json()["result"]
    assert grouped["result"]["a"]["member_id"] == portal.member_id and grouped["result"]["a"]["user_id"] == 1
    assert "auth" not in grouped["result"]["a"]["params"]


def test_webhook_batch_refuses_app_only_commands(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    hook = emulator.add_webhook(portal)
    cmd = {"app": "test.app_only", "placement": "test.app_only_wrong", "fine": "test.echo"}
    grouped = requests.post(hook + "batch", json={"cmd": cmd}, timeout=5).json()["result"]
    assert grouped["result_error"]["app"]["error"] == "ACCESS_DENIED"
    assert grouped["result_error"]["placement"]["error"] == "WRONG_AUTH_TYPE"
    assert grouped["result"]["fine"]["auth_kind"] == "webhook"


def test_form_encoded_batch_with_double_encoded_commands(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    hook = emulator.add_webhook(portal)
    form = {
        "halt": "1",
        "cmd[one]": "test.echo?filter%5B%3DxmlId%5D=a%26b",
        "cmd[two]": "test.echo?copy=$result[one][params][filter][=xmlId]",
    }
    grouped = requests.post(hook + "batch", data=form, timeout=5).json()["result"]
    assert grouped["result"]["one"]["params"] == {"filter": {"=xmlId": "a&b"}}
    assert grouped["result"]["two"]["params"] == {"copy": "a&b"}


def test_batch_commands_are_logged_and_counted(emulator: Emulator) -> None:
    _batch(emulator, {"a": "test.echo?x=1", "b": "test.fail"})
    stats = emulator.stats()
    assert stats.http_requests == 1 and stats.batch_commands == 2
    assert stats.per_method == {"batch": 1, "test.echo": 1, "test.fail": 1}
    calls = emulator.requests.calls()
    assert [(c.method, c.via_batch, c.status) for c in calls] == [
        ("test.echo", "a", 200),
        ("test.fail", "b", 400),
        ("batch", None, 200),
    ]
    assert calls[0].params == {"x": "1"} and calls[0].auth_kind == "oauth"
