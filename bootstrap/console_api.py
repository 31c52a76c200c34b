"""Console commands of the public API: ``api-key MEMBER_ID create|list|revoke [NAME] [--scopes …]``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from b24app.container import Container
from install.services import status
from registry.bonuses.api_keys import KeyProblem
from registry.services import api_keys


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


OPTIONS: dict[str, Callable[[argparse.ArgumentParser], None]] = {"api-key": api_key_arguments}
