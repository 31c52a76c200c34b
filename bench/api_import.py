"""Import benchmark: a 10,000-row CSV of opening balances through the public API.

Measures the dry run and the real run (``POST /api/v1/import``, served over HTTP), and what the
mirror then costs the portal: every row owes a registry item, a balance field and a timeline
comment, sent by the worker in shared batches of 50 against the default limiter. Figures:
seconds for each run, rows per second posted, portal requests per row until all is mirrored.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from sqlalchemy import select

from b24app.models import Portal
from bench.common import Stand, registry_items, settle, stand, wait_for
from registry.services import api_keys


def _contacts(s: Stand, rows: int) -> list[int]:
    """``rows`` contacts on the portal (written straight into the emulator: only the import is measured)."""
    ids = []
    for i in range(rows):
        contact_id = s.portal.next_id()
        s.portal.contacts[contact_id] = {"ID": str(contact_id), "NAME": f"Client {i}"}
        ids.append(contact_id)
    return ids


def _csv(contacts: list[int]) -> str:
    lines = ["key,client,amount,reason"]
    lines += [f"b{n},contact:{c},{100 + n % 50}.25,opening balance" for n, c in enumerate(contacts)]
    return "\n".join(lines) + "\n"


def _key(s: Stand) -> str:
    with s.app.db.transaction() as session:
        portal_id = session.execute(select(Portal.id)).scalar_one()
    return str(api_keys.create(s.app.container, portal_id, "bench", "program", "bench")["key"])


def run(rows: int = 10_000) -> dict[str, Any]:
    s = stand()
    try:
        body = _csv(_contacts(s, rows))
        url = s.app.base_url + "/api/v1/import"
        headers = {"Authorization": f"Bearer {_key(s)}", "Content-Type": "text/csv"}
        settle(s.emu, s.portal)
        s.emu.reset_stats()
        started = time.monotonic()
        dry = requests.post(url, data=body.encode(), headers=headers, timeout=3600).json()
        dry_s = time.monotonic() - started
        # Counted before the real run: the worker mirrors rows while the import is still posting.
        before = registry_items(s.portal)
        started = time.monotonic()
        real = requests.post(url + "?dry_run=false", data=body.encode(), headers=headers, timeout=3600).json()
        real_s = time.monotonic() - started
        mirrored = wait_for(lambda: registry_items(s.portal) - before >= rows, timeout=7200, poll=0.5)
        stats = s.emu.stats()
        return {
            "rows": rows,
            "dry_run_errors": dry["errors"],
            "posted": real["posted"],
            "dry_run_s": round(dry_s, 2),
            "import_s": round(real_s, 2),
            "rows_per_s": round(rows / real_s, 1),
            "mirrored_s": round(real_s + mirrored, 1),
            "portal_requests": stats.http_requests,
            "requests_per_row": round(stats.http_requests / rows, 4),
            "batch_commands": stats.batch_commands,
            "query_limit_exceeded": stats.limit_503,
        }
    finally:
        s.close()


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.api_import", description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", nargs="?", type=int, default=10_000, help="CSV rows (10000)")
    print(json.dumps(run(parser.parse_args().rows), indent=2))
