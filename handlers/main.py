"""The application's main page (the local app's handler path)."""

from __future__ import annotations

from flask import Blueprint, render_template_string
from flask.typing import ResponseReturnValue

bp = Blueprint("main", __name__)

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Bonuses</title></head>
<body><h2>Bonuses</h2><p>The bonus registry is installed. Balances are on contact and company
cards; every movement is in the "Bonuses" smart process.</p></body></html>"""


@bp.route("/", methods=["GET", "POST"])
def index() -> ResponseReturnValue:
    return render_template_string(PAGE)
