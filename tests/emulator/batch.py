"""The ``batch`` method: commands as ``method?php_query``, ``$result[...]`` references, grouped results."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.emulator.phpquery import parse_query
from tests.emulator.protocol import B24Error, Page

BATCH_LIMIT = 50
GROUPS = ("result", "result_error", "result_total", "result_next", "result_time")
_REF = re.compile(r"\$result\[([^\]]+)\]((?:\[[^\]]*\])*)")
_KEY = re.compile(r"\[([^\]]*)\]")


@dataclass
class Outcome:
    """What one command produced: a value (or Page) with its time block, or an error body."""

    result: Any = None
    error: dict[str, Any] | None = None
    time: dict[str, Any] | None = None


# (command name, raw command string, results so far) -> Outcome
Runner = Callable[[str, Any, Mapping[str, Any]], Outcome]


def commands_of(cmd: Any) -> dict[str, Any]:
    """``cmd`` as a name -> command map; a list gives the names "0", "1", ..."""
    if cmd in (None, "", [], {}):
        return {}
    if isinstance(cmd, list):
        commands = {str(i): c for i, c in enumerate(cmd)}
    elif isinstance(cmd, dict):
        commands = {str(k): c for k, c in cmd.items()}
    else:
        raise B24Error("INVALID_ARG_VALUE", "cmd must be an array of commands", 400)
    if len(commands) > BATCH_LIMIT:
        raise B24Error("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", 400)
    return commands


def split_command(command: Any) -> tuple[str, dict[str, Any]]:
    """``"crm.item.get?entityTypeId=2&id=5"`` -> ``("crm.item.get", {"entityTypeId": "2", "id": "5"})``."""
    if not isinstance(command, str):
        return "", {}
    method, _, query = command.strip().partition("?")
    return normalise_method(method), parse_query(query)


def normalise_method(name: str) -> str:
    """Method names are case-insensitive and may carry a ``.json`` suffix."""
    return name.strip().strip("/").lower().removesuffix(".json")


def methods_in(params: Mapping[str, Any]) -> list[str]:
    """The methods a batch request would call (for scoping faults); junk is skipped."""
    try:
        return [split_command(c)[0] for c in commands_of(params.get("cmd")).values()]
    except B24Error:
        return []


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "y", "yes", "on"}


def run_batch(params: Mapping[str, Any], runner: Runner) -> dict[str, Any]:
    """Run the commands in order; ``halt`` stops at the first error. Empty groups serialise as ``[]``."""
    commands = commands_of(params.get("cmd"))
    halt = truthy(params.get("halt", 0))
    out: dict[str, dict[str, Any]] = {group: {} for group in GROUPS}
    for name, command in commands.items():
        outcome = runner(name, command, out["result"])
        if outcome.error is not None:
            out["result_error"][name] = outcome.error
            if halt:
                break
            continue
        value = outcome.result
        out["result"][name] = value.result if isinstance(value, Page) else value
        if isinstance(value, Page) and value.total is not None:
            out["result_total"][name] = value.total
        if isinstance(value, Page) and value.next is not None:
            out["result_next"][name] = value.next
        out["result_time"][name] = outcome.time
    return {group: (values or []) for group, values in out.items()}


def _lookup(results: Mapping[str, Any], name: str, path: str) -> Any:
    node: Any = results.get(name)
    for key in _KEY.findall(path):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, dict) and key.isdigit() and int(key) in node:
            node = node[int(key)]
        else:
            return None
    return node


def _php_string(value: Any) -> str:
    """How PHP prints a value into a string: true "1", false/null "", arrays "Array"."""
    if isinstance(value, bool):
        return "1" if value else ""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return "Array"
    return str(value)


def substitute(value: Any, results: Mapping[str, Any]) -> Any:
    """Replace ``$result[name][key]...`` with earlier results: a whole value keeps its type.

    A reference to a command with no result (failed, later, unknown) is undocumented: it stays as
    literal text (the stricter choice: a dangling reference is never silently an empty value).
    """
    if isinstance(value, dict):
        return {k: substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, results) for v in value]
    if not isinstance(value, str) or "$result[" not in value:
        return value
    whole = _REF.fullmatch(value)
    if whole and whole.group(1) in results:
        found = _lookup(results, whole.group(1), whole.group(2))
        return "" if found is None else found

    def one(match: re.Match[str]) -> str:
        if match.group(1) not in results:
            return match.group(0)
        return _php_string(_lookup(results, match.group(1), match.group(2)))

    return _REF.sub(one, value)
