"""Offers: awards on top of the rules, per item or per purchase, kept as bonuses or given at once."""

from __future__ import annotations

from b24app.i18n import N_
from handlers.settings_forms import (
    CLIENTS,
    CODE,
    GROUPS_HINT,
    LEGAL_ENTITY,
    NAME,
    VALID_FROM,
    VALID_TO,
    products,
)
from handlers.settings_rows import Field, Kind, Rows, rows_section

FIELDS = (
    CODE,
    NAME,
    Field(
        "basis",
        N_("Counted"),
        Kind.CHOICE,
        options=(("transaction", N_("Per purchase")), ("per_item", N_("Per item"))),
    ),
    *products("products"),
    Field("percent", N_("Percent"), Kind.NUMBER, N_("Fill in the percent or the points, not both.")),
    Field("points", N_("Points"), Kind.NUMBER),
    Field(
        "spend",
        N_("Given"),
        Kind.CHOICE,
        options=(("accumulate", N_("As bonuses")), ("instant", N_("At once, as a discount"))),
    ),
    LEGAL_ENTITY,
    VALID_FROM,
    VALID_TO,
    Field("segment.clients", N_("Clients"), Kind.CHOICE, options=CLIENTS, default="both"),
    Field("segment.groups", N_("Customer groups"), Kind.WORDS, GROUPS_HINT),
)

SECTION = rows_section(Rows("offers", FIELDS, N_("Offer %(number)s")), N_("Offers"), "settings/offers.html")
