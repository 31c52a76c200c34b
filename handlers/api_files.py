"""CSV through the public API: import opening balances / accruals (a dry run by default) and stream
exports of balances and movements (any size: the body is written page by page)."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as StreamedResponse

from handlers import api_schemas as s
from handlers.api import answer, need
from handlers.api_auth import authenticate_request, caller
from handlers.api_spec import Invalid, documented, validated
from handlers.common import container
from registry.bonuses.imports import BadFile
from registry.services import imports

bp = Blueprint("api_files", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)


@bp.post("/import")
@documented(ok=s.ImportReport, query=s.ImportQuery, errors=(401, 403, 413, 422), tag="import")
def import_csv() -> ResponseReturnValue:
    """A CSV body (``key,client,amount[,kind,reason,lifetime_days]``); ``dry_run=false`` to post."""
    need("program")
    q: s.ImportQuery = validated("query")
    try:
        text = request.get_data(as_text=False).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("body", "must be UTF-8 CSV") from exc
    try:
        report = imports.run_import(
            container(),
            caller().portal_id,
            text.splitlines(keepends=True),
            dry_run=q.dry_run,
            actor=f"api:{caller().name}",
        )
    except BadFile as exc:
        raise Invalid("body", str(exc)) from exc
    return answer(s.ImportReport, report, 200 if report["errors"] == 0 else 422)


@bp.get("/export/<any(balances, movements):what>.csv")
@documented(ok=None, errors=(401, 403), tag="export", skip=True)
def export_csv(what: str) -> ResponseReturnValue:
    """Balances (client, balance, spendable, debt, blocked) or movements, as streamed CSV."""
    need("read")
    rows = imports.export_csv(container(), caller().portal_id, what)
    # A werkzeug (not flask) Response: spectree passes it through without reading the stream.
    return StreamedResponse(
        rows, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{what}.csv"'}
    )
