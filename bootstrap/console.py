"""The console commands (``python -m b24app.cli COMMAND``): arguments parsed, one service called,
its answer printed as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from b24app.config import ConfigError
from b24app.container import Container
from bootstrap import console_api
from bootstrap.container import build_container
from install.services import installs, status
from registry.bonuses.support import parse_owner
from registry.ledger.posting import Owner
from registry.program.document import ProgramError
from registry.program.values import plain_amount
from registry.services import programs, support

Command = Callable[[Container, argparse.Namespace], Any]


def _portal_id(c: Container, member_id: str) -> int:
    portal_id = status.portal_id_of(c, member_id)
    if portal_id is None:
        raise SystemExit(f"no portal with member_id {member_id!r}")
    return portal_id


def cmd_status(c: Container, args: argparse.Namespace) -> Any:
    return status.status_of(c, _portal_id(c, args.member_id))


def _run_lane(c: Container, portal_id: int) -> dict[str, Any]:
    run = c.lanes.run(portal_id)
    if not run.acquired:
        raise SystemExit("the portal's lane is busy; try again in a moment")
    return {"requests": run.requests, "error": run.error}


def cmd_provision(c: Container, args: argparse.Namespace) -> Any:
    """Re-provision now, in this process (it holds the portal's lane like a worker would)."""
    portal_id = _portal_id(c, args.member_id)
    run = installs.provision_now(c, portal_id)
    if not run.acquired:
        raise SystemExit("the portal's lane is busy; try again in a moment")
    return {"run": {"requests": run.requests, "error": run.error}, **cmd_status(c, args)}


def cmd_heal(c: Container, args: argparse.Namespace) -> Any:
    """Compare the portal with the ledger now (balance fields, registry items) and repair drift."""
    portal_id = _portal_id(c, args.member_id)
    support.heal_now(c, portal_id)
    return {"run": _run_lane(c, portal_id), **cmd_status(c, args)}


def cmd_portals(c: Container, args: argparse.Namespace) -> Any:
    return status.portals(c)


def cmd_program_export(c: Container, args: argparse.Namespace) -> Any:
    """The current program document (the JSON ``program-import`` takes), with its version."""
    program = programs.current(c, _portal_id(c, args.member_id))
    return {"version": program.version, "program": program.document}


def cmd_program_import(c: Container, args: argparse.Namespace) -> Any:
    """Validate a program JSON file ("-" for stdin) and save it as a new version."""
    portal_id = _portal_id(c, args.member_id)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"cannot read {args.file}: {exc}") from exc
    if isinstance(document, dict) and isinstance(document.get("program"), dict):
        document = document["program"]  # accept what program-export printed
    try:
        program = programs.save(c, portal_id, document, "console")
    except ProgramError as exc:
        raise SystemExit(f"program refused: {exc}") from exc
    return {"version": program.version, "rules": len(program.rules)}


def _owner_args(c: Container, args: argparse.Namespace) -> tuple[int, Owner]:
    try:
        return _portal_id(c, args.member_id), parse_owner(args.owner)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc


def cmd_balance(c: Container, args: argparse.Namespace) -> Any:
    return support.balance(c, *_owner_args(c, args))


def cmd_history(c: Container, args: argparse.Namespace) -> Any:
    return support.history(c, *_owner_args(c, args))


def _manual(c: Container, args: argparse.Namespace, operation: str) -> Any:
    portal_id, owner = _owner_args(c, args)
    amount = plain_amount(args.amount, signed=True)
    if amount is None:
        raise SystemExit(f"amount must be a number like 150 or -20.50, not {args.amount!r}")
    return support.move(c, portal_id, owner, amount, args.reason, operation)


def cmd_writeoff(c: Container, args: argparse.Namespace) -> Any:
    """Write off AMOUNT (> 0) from OWNER with a REASON, as the robot would."""
    return _manual(c, args, "writeoff")


def cmd_adjust(c: Container, args: argparse.Namespace) -> Any:
    """Correct OWNER's balance by a signed AMOUNT with a REASON."""
    return _manual(c, args, "adjust")


def cmd_block(c: Container, args: argparse.Namespace) -> Any:
    portal_id, owner = _owner_args(c, args)
    return support.block(c, portal_id, owner, args.state == "on")


COMMANDS: dict[str, tuple[Command, str, Sequence[str]]] = {
    "portals": (cmd_portals, "list portals", ()),
    "status": (cmd_status, "a portal's installed objects, token expiry and queue depth", ("member_id",)),
    "provision": (cmd_provision, "re-provision a portal and print its status", ("member_id",)),
    "heal": (cmd_heal, "repair balance fields and deleted registry items now", ("member_id",)),
    "program-export": (cmd_program_export, "print the bonus program as JSON", ("member_id",)),
    "balance": (cmd_balance, "an owner's balance, spendable amount and lots", ("member_id", "owner")),
    "history": (cmd_history, "an owner's ledger entries, newest first", ("member_id", "owner")),
    "writeoff": (cmd_writeoff, "write bonuses off by hand", ("member_id", "owner", "amount", "reason")),
    "adjust": (
        cmd_adjust,
        "correct a balance by a signed amount",
        ("member_id", "owner", "amount", "reason"),
    ),
    "block": (cmd_block, "block (on) or unblock (off) an owner's spending", ("member_id", "owner", "state")),
    "program-import": (
        cmd_program_import,
        "save a bonus program JSON file as a new version",
        ("member_id", "file"),
    ),
    "api-key": (console_api.cmd_api_key, "create (printed once), list or revoke API keys", ("member_id",)),
    "webhook": (console_api.cmd_webhook, "add, list or remove webhook URLs for movements", ("member_id",)),
    "import": (console_api.cmd_import, "import opening balances or accruals from CSV", ("member_id",)),
    "export": (console_api.cmd_export, "write balances or movements to a CSV file", ("member_id",)),
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m b24app.cli", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    for name, (_, help_text, positionals) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        for positional in positionals:
            p.add_argument(positional)
        if name in console_api.OPTIONS:
            console_api.OPTIONS[name](p)
    return root


def main(argv: Sequence[str] | None = None, container: Container | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        c = container or build_container()
    except ConfigError as exc:  # one line naming the variable, no traceback
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        result = COMMANDS[args.command][0](c, args)
    except OperationalError as exc:
        print(f"database error: {exc.orig} (is DATABASE_URL right, and migrated?)", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
    return 0
