"""Bundles: free units or a cash credit when one row of a deal reaches a trigger quantity."""

from __future__ import annotations

from b24app.i18n import N_
from handlers.settings_forms import CODE, GROUPS_HINT, LEGAL_ENTITY, NAME, products
from handlers.settings_rows import Field, Kind, Rows, rows_section

FIELDS = (
    CODE,
    NAME,
    *products("product"),
    Field(
        "unit",
        N_("Unit"),
        Kind.CHOICE,
        options=(("day", N_("Day")), ("week", N_("Week")), ("month", N_("Month")), ("piece", N_("Piece"))),
    ),
    Field("trigger_quantity", N_("From this quantity"), Kind.NUMBER),
    Field("reward_quantity", N_("Units given"), Kind.NUMBER),
    Field(
        "type",
        N_("Given as"),
        Kind.CHOICE,
        options=(("ontime_only", N_("Free units")), ("cash_discount", N_("A cash credit"))),
    ),
    Field("groups", N_("Customer groups"), Kind.WORDS, GROUPS_HINT),
    LEGAL_ENTITY,
)

SECTION = rows_section(
    Rows("bundles", FIELDS, N_("Bundle %(number)s")), N_("Bundles"), "settings/bundles.html"
)
