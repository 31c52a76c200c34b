"""The console commands (``python -m b24app.cli COMMAND``): arguments parsed, one service called,
its answer printed as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
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
from registry.services import approvals, campaign_step, programs, settlement, support

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


class Text(str):
    """A command's answer printed as it is (CSV), not as JSON."""


def cmd_settlement(c: Container, args: argparse.Namespace) -> Any:
    portal_id = _portal_id(c, args.member_id)
    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
        return Text(settlement.as_csv(settlement.report(c.db, portal_id, start, end)))
    except ValueError as exc:
        raise SystemExit(f"settlement: {exc} (dates are YYYY-MM-DD)") from exc


def cmd_block(c: Container, args: argparse.Namespace) -> Any:
    portal_id, owner = _owner_args(c, args)
    return support.block(c, portal_id, owner, args.state == "on")


def cmd_requests(c: Container, args: argparse.Namespace) -> Any:
    """Pending approval requests of a portal, oldest first."""
    return [r.as_dict() for r in approvals.pending(c, _portal_id(c, args.member_id))]


def _decide(c: Container, args: argparse.Namespace, approve: bool) -> Any:
    portal_id = _portal_id(c, args.member_id)
    if not args.request_id.isascii() or not args.request_id.isdigit() or len(args.request_id) > 9:
        raise SystemExit(f"request_id must be a number, not {args.request_id!r}")
    if not args.reason.strip():
        raise SystemExit("a reason is required")
    outcome = approvals.decide_request(
        c, portal_id, int(args.request_id), approve, user_id=None, reason=args.reason
    )
    return {"request_id": int(args.request_id), "outcome": str(outcome)}


def cmd_approve(c: Container, args: argparse.Namespace) -> Any:
    """Approve a pending request as support (with a reason); it is applied like any approval."""
    return _decide(c, args, True)


def cmd_cancel(c: Container, args: argparse.Namespace) -> Any:
    """Cancel a pending request as support, with a reason."""
    return _decide(c, args, False)


def cmd_campaigns(c: Container, args: argparse.Namespace) -> Any:
    """Run the campaigns now (``--date``: as on that portal-day); a dry run lists and writes nothing."""
    portal_id = _portal_id(c, args.member_id)
    if args.action != "run":
        raise SystemExit(f"unknown campaigns action {args.action!r}; use: run")
    try:
        day = date.fromisoformat(args.date) if args.date else None
    except ValueError as exc:
        raise SystemExit(f"--date must be YYYY-MM-DD, not {args.date!r}") from exc
    report = campaign_step.run_campaigns(c.db, portal_id, c.clock.now(), day=day, dry_run=args.dry_run)
    if not args.dry_run and report.total:
        c.jobs.enqueue_lane(portal_id, force=True)  # the worker delivers the registry items and messages
    due = [
        {
            "campaign": d.campaign.code,
            "client": f"{d.client_type}:{d.client_id}",
            "occurrence": d.occurrence.isoformat(),
            "points": str(d.campaign.award.points),
        }
        for dues in report.due.values()
        for d in dues
    ]
    return {"day": report.day.isoformat(), "dry_run": report.dry_run, "due": due, "awarded": report.awarded}


def _campaign_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", help="the portal-day to run for, YYYY-MM-DD (default: today on the portal)")
    p.add_argument("--dry-run", action="store_true", help="print who would get what; write nothing")


OPTIONS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "campaigns": _campaign_options,
    **console_api.OPTIONS,
}
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
    "requests": (cmd_requests, "pending approval requests", ("member_id",)),
    "approve": (cmd_approve, "approve a pending request as support", ("member_id", "request_id", "reason")),
    "cancel": (cmd_cancel, "cancel a pending request as support", ("member_id", "request_id", "reason")),
    "campaigns": (cmd_campaigns, "run the campaigns now: campaigns MEMBER_ID run", ("member_id", "action")),
    "settlement": (
        cmd_settlement,
        "CSV per legal entity: accrued, cancelled, spent, expired, outstanding (dates YYYY-MM-DD)",
        ("member_id", "start", "end"),
    ),
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
        if name in OPTIONS:
            OPTIONS[name](p)
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
    if isinstance(result, Text):
        sys.stdout.write(result)
        return 0
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
    return 0
