"""Customer groups: every client of some companies (by shop) or listed clients (by customer)."""

from __future__ import annotations

from b24app.i18n import N_
from handlers.settings_forms import CODE, NAME
from handlers.settings_rows import Field, Kind, Rows, rows_section

FIELDS = (
    CODE,
    NAME,
    Field(
        "by",
        N_("Who is in it"),
        Kind.CHOICE,
        options=(("shop", N_("Every client of these companies")), ("customer", N_("The listed clients"))),
    ),
    Field("companies", N_("Companies (ids)"), Kind.IDS, N_("Separated by commas."), when=("by", "shop")),
    Field(
        "clients",
        N_("Clients"),
        Kind.WORDS,
        N_("contact:ID or company:ID, separated by commas."),
        when=("by", "customer"),
    ),
)

SECTION = rows_section(
    Rows("groups", FIELDS, N_("Group %(number)s")), N_("Customer groups"), "settings/groups.html"
)
