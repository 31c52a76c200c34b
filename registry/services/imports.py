"""CSV import and export commands (console and API).

An import reads every row first: a dry run, or any bad row, writes nothing and reports every
row's outcome; a clean real run posts in transactions of ``CHUNK`` rows, each row once by its key,
so running the same file again (or after a crash) posts only what is missing. Exports stream any
size: pages of ``PAGE`` rows, each read in its own short transaction, written out as CSV lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from b24app.container import Container
from registry.bonuses import exports, imports
from registry.bonuses.imports import Row, RowError
from registry.program.document import current_program

CHUNK = 500
PAGE = 1000


def run_import(
    c: Container, portal_id: int, lines: Iterable[str], *, dry_run: bool, actor: str
) -> dict[str, Any]:
    """BadFile when the header is wrong; otherwise a report with every row's outcome."""
    checked = list(imports.read(lines))
    rows = [r for r in checked if isinstance(r, Row)]
    errors = [r for r in checked if isinstance(r, RowError)]
    with c.db.transaction() as session:
        already = set().union(
            *(imports.posted_keys(session, portal_id, part) for part in _chunks(rows, CHUNK))
        )
    posted = 0
    if not dry_run and not errors:
        with c.db.transaction() as session:
            program = current_program(session, portal_id)
        for part in _chunks(rows, CHUNK):
            with c.db.transaction() as session:
                done = imports.post(session, portal_id, program, part, actor, c.clock.now())
            if done:
                c.jobs.enqueue_lane(portal_id)  # the worker mirrors each chunk while the next posts
            posted += done
    verb = "would_post" if dry_run or errors else "posted"
    outcomes = [_outcome(r, already, verb) for r in checked]
    return {
        "dry_run": dry_run,
        "written": posted > 0,
        "rows": len(checked),
        "errors": len(errors),
        "already_posted": sum(1 for r in rows if imports.business_key(r) in already),
        "posted": posted,
        "outcomes": outcomes,
    }


def _outcome(r: Row | RowError, already: set[str], verb: str) -> dict[str, Any]:
    if isinstance(r, RowError):
        return {"line": r.line, "key": r.key, "outcome": "error", "column": r.column, "message": r.message}
    done = imports.business_key(r) in already
    return {"line": r.line, "key": r.key, "outcome": "already_posted" if done else verb}


def _chunks(rows: Sequence[Row], size: int) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def export_csv(c: Container, portal_id: int, what: str) -> Iterator[str]:
    """``balances`` or ``movements`` as CSV text, page by page (memory stays flat at any size)."""
    header, page_of = exports.SOURCES[what]
    yield _line(header)
    after = 0
    while True:
        with c.db.transaction() as session:
            last, rows = page_of(session, portal_id, after, PAGE, c.clock.now())
        if not rows:
            return
        yield "".join(_line(row) for row in rows)
        after = last


def _line(values: Sequence[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return out.getvalue()
