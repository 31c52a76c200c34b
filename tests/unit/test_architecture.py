"""The layout says what code may do: the import direction is pinned, transactions are opened only by
the unit-of-work owners, and nothing imports inside a function to dodge a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("b24app", "bootstrap", "handlers", "registry", "install")
# Who may open a transaction: the services (one per command or lane step), the composition root
# and the infrastructure (leases, the outbox machine, the inbox). Domain and adapters take a session.
TRANSACTION_OWNERS = ("registry/services/", "install/services/", "bootstrap/", "b24app/")


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _calls_transaction(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "transaction"
        for node in ast.walk(tree)
    )


def _function_imports(tree: ast.AST) -> list[int]:
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.extend(
                inner.lineno for inner in ast.walk(node) if isinstance(inner, ast.Import | ast.ImportFrom)
            )
    return lines


def test_the_import_direction_is_kept_with_no_cycles() -> None:
    # In a child process: import-linter's run leaves the logging module configured its own way,
    # which would hide later tests' log records from caplog.
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_only_services_bootstrap_and_infrastructure_open_transactions() -> None:
    opening = [
        p.relative_to(ROOT).as_posix() for p in _modules() if _calls_transaction(ast.parse(p.read_text()))
    ]
    assert opening, "the scan found no transaction at all"
    assert [p for p in opening if not p.startswith(TRANSACTION_OWNERS)] == []


def test_nothing_imports_inside_a_function() -> None:
    found = {
        p.relative_to(ROOT).as_posix(): lines
        for p in _modules()
        if (lines := _function_imports(ast.parse(p.read_text())))
    }
    assert found == {}
