"""Console commands of the public API: api-key, webhook, import and export (arguments beyond MEMBER_ID)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from b24app.container import Container
from install.services import status
from registry.bonuses.api_keys import KeyProblem
from registry.bonuses.imports import BadFile
from registry.bonuses.webhooks import EndpointProblem
from registry.services import api_keys, imports, webhooks


def portal_id(c: Container, member_id: str) -> int:
    found = status.portal_id_of(c, member_id)
    if found is None:
        raise SystemExit(f"no portal with member_id {member_id!r}")
    return found


def cmd_api_key(c: Container, args: argparse.Namespace) -> Any:
    """Create (the key is printed once), list or revoke a portal's API keys."""
    pid = portal_id(c, args.member_id)
    if args.action == "list":
        return api_keys.listing(c, pid)
    if not args.name:
        raise SystemExit(f"api-key {args.action} needs a NAME")
    try:
        if args.action == "create":
            return api_keys.create(c, pid, args.name, args.scopes, "console")
        return api_keys.revoke(c, pid, args.name)
    except KeyProblem as exc:
        raise SystemExit(str(exc)) from exc


def api_key_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("create", "list", "revoke"))
    p.add_argument("name", nargs="?")
    p.add_argument("--scopes", default="read,spend,events", help="read, spend, events, program, or all")


def cmd_webhook(c: Container, args: argparse.Namespace) -> Any:
    """Register or remove a URL for movement events; list them with the signing secret."""
    pid = portal_id(c, args.member_id)
    if args.action == "list":
        return webhooks.listing(c, pid)
    if not args.url:
        raise SystemExit(f"webhook {args.action} needs a URL")
    try:
        return (webhooks.add if args.action == "add" else webhooks.remove)(c, pid, args.url)
    except EndpointProblem as exc:
        raise SystemExit(str(exc)) from exc


def webhook_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("add", "list", "remove"))
    p.add_argument("url", nargs="?")


def cmd_import(c: Container, args: argparse.Namespace) -> Any:
    """Import opening balances / accruals from a CSV file; ``--dry-run`` writes nothing."""
    pid = portal_id(c, args.member_id)
    try:
        with Path(args.file).open(encoding="utf-8-sig", newline="") as lines:
            return imports.run_import(c, pid, lines, dry_run=args.dry_run, actor="console")
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"cannot read {args.file}: {exc}") from exc
    except BadFile as exc:
        raise SystemExit(f"{args.file}: {exc}") from exc


def cmd_export(c: Container, args: argparse.Namespace) -> Any:
    """Write balances or movements as CSV to FILE, streaming (any size)."""
    pid = portal_id(c, args.member_id)
    lines = 0
    with Path(args.file).open("w", encoding="utf-8", newline="") as out:
        for chunk in imports.export_csv(c, pid, args.what):
            out.write(chunk)
            lines += chunk.count("\n")
    return {"file": args.file, "rows": lines - 1}


def import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check every row and write nothing")


def export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=("balances", "movements"))
    p.add_argument("file")


OPTIONS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "api-key": api_key_arguments,
    "webhook": webhook_arguments,
    "import": import_arguments,
    "export": export_arguments,
}
