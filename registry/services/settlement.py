"""The settlement report per legal entity and period, as rows (the dashboard) or CSV (the console)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

from b24app.db import Database
from registry.ledger.settlement import COLUMNS, SettlementRow, settlement


def report(db: Database, portal_id: int, start: date, end: date) -> list[SettlementRow]:
    """Entries from ``start`` to ``end`` (both days included, UTC); outstanding at the end of ``end``."""
    if end < start:
        raise ValueError("the period ends before it starts")
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(end, time.max, UTC)
    with db.transaction() as session:
        return settlement(session, portal_id, since, until)


def as_csv(rows: list[SettlementRow]) -> str:
    """One line per legal entity (empty: none set) and a total line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.legal_entity or "", *(f"{getattr(row, c):.2f}" for c in COLUMNS[1:])])
    totals = [f"{sum((getattr(r, c) for r in rows), Decimal('0')):.2f}" for c in COLUMNS[1:]]
    writer.writerow(["total", *totals])
    return out.getvalue()
