"""CSV import of opening balances and bulk accruals, checked whole before anything is written.

Columns (a header line names them, in any order): ``key`` (the row's key: a second import of the
same key writes nothing), ``client`` (``contact:12`` / ``company:7``), ``amount`` (positive, at
most two decimals), and optionally ``kind`` (``opening_balance``, the default, or ``accrual``),
``reason`` and ``lifetime_days`` (empty: the program's). Every row gets an outcome; a bad row is
named by its line and column. Posting goes through the ledger's one way in and the mirror.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bonuses import mirror
from registry.bonuses.support import parse_owner
from registry.bonuses.texts import portal_language
from registry.ledger import posting
from registry.ledger.kinds import EntryKind
from registry.ledger.models import LedgerEntry
from registry.ledger.posting import NewLot, Owner
from registry.ledger.views import entry_views
from registry.program.document import Program
from registry.program.values import plain_amount

REQUIRED = ("key", "client", "amount")
COLUMNS = frozenset({*REQUIRED, "kind", "reason", "lifetime_days"})
KINDS = {"opening_balance": EntryKind.OPENING_BALANCE, "accrual": EntryKind.MANUAL_ACCRUAL}
MAX_LIFETIME = 36500


class BadFile(ValueError):
    """The file as a whole cannot be read (no header, a missing or unknown column)."""


@dataclass(frozen=True)
class Row:
    line: int
    key: str
    owner: Owner
    amount: Decimal
    kind: EntryKind
    reason: str | None
    lifetime_days: int | None


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str
    key: str = ""


def read(lines: Iterable[str]) -> Iterable[Row | RowError]:
    """Each data row checked on its own (a key repeated in the file is an error on its second line)."""
    reader = csv.DictReader(lines)
    header = [h.strip() for h in reader.fieldnames or []]
    if not header:
        raise BadFile("the file has no header line")
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise BadFile(f"missing column {missing[0]!r}" if missing else f"unknown column {unknown[0]!r}")
    reader.fieldnames = header
    seen: set[str] = set()
    for raw in reader:
        row = _row(reader.line_num, raw)
        if isinstance(row, Row) and row.key in seen:
            row = RowError(row.line, "key", "repeats a key of an earlier line", row.key)
        if isinstance(row, Row):
            seen.add(row.key)
        yield row


def _row(line: int, raw: dict[str, Any]) -> Row | RowError:
    if None in raw:
        return RowError(line, "*", "has more fields than the header", str(raw.get("key") or "")[:100])
    value = {k: (v or "").strip() for k, v in raw.items()}
    key = value["key"]
    if not key or len(key) > 100:
        return RowError(line, "key", "must be 1 to 100 characters", key[:100])
    try:
        owner = parse_owner(value["client"])
    except ValueError:
        return RowError(line, "client", "must look like contact:12 or company:7", key)
    amount = plain_amount(value["amount"])
    if amount is None or amount <= 0:
        return RowError(line, "amount", "must be a positive amount with at most two decimals", key)
    kind = KINDS.get(value.get("kind") or "opening_balance")
    if kind is None:
        return RowError(line, "kind", "must be opening_balance or accrual", key)
    lifetime = value.get("lifetime_days") or ""
    if lifetime and (not lifetime.isdigit() or int(lifetime) > MAX_LIFETIME):
        return RowError(line, "lifetime_days", f"must be a whole number of days up to {MAX_LIFETIME}", key)
    reason = (value.get("reason") or "")[:500] or None
    return Row(line, key, owner, amount, kind, reason, int(lifetime) if lifetime else None)


def business_key(row: Row) -> str:
    return f"import:{row.key}"


def posted_keys(session: Session, portal_id: int, rows: Sequence[Row]) -> set[str]:
    """Which of these rows an earlier import already posted."""
    keys = [business_key(r) for r in rows]
    found = session.execute(
        select(LedgerEntry.business_key).where(
            LedgerEntry.portal_id == portal_id, LedgerEntry.business_key.in_(keys)
        )
    ).scalars()
    return set(found)


def post(
    session: Session, portal_id: int, program: Program, rows: Sequence[Row], actor: str, now: datetime
) -> int:
    """Post the rows not posted before (mirrored, no client notification); returns how many."""
    done = posted_keys(session, portal_id, rows)
    entries: list[int] = []
    fresh = [row for row in rows if business_key(row) not in done]
    for row in fresh:
        lifetime = program.lifetime_days if row.lifetime_days is None else row.lifetime_days
        movement = posting.Movement(
            row.kind,
            row.owner,
            row.amount,
            business_key(row),
            actor[:64],
            "import",
            NewLot(lifetime),
            reason=row.reason or ("opening balance" if row.kind == EntryKind.OPENING_BALANCE else "import"),
            snapshot={"kind": "manual", "import_line": row.line, "lifetime_days": lifetime},
        )
        entries += [e.id for e in posting.post(session, portal_id, movement, now).entries]
    views = entry_views(session, entries)
    language = portal_language(session, portal_id)
    mirror.enqueue_entries(session, portal_id, views, language, now, notify="none", program=program)
    return len(fresh)
