"""The settings forms of the program's lists (campaigns, approval definitions, groups, offers,
bundles, customer events) and of its legal entities: one module and one template each, built on
handlers/settings_rows.py. Fields more than one section shows are declared here once."""

from __future__ import annotations

from b24app.i18n import N_
from handlers.settings_rows import Field, Kind

CODE = Field("code", N_("Code"), hint=N_("Short and unique, e.g. birthday."))
NAME = Field("name", N_("Name"))
LEGAL_ENTITY = Field(
    "legal_entity", N_("Legal entity (company id)"), Kind.WHOLE, N_("Empty = the program's.")
)
GROUPS_HINT = N_("Group codes separated by commas; empty = every client.")
CLIENTS = (
    ("contacts", N_("Contacts")),
    ("companies", N_("Companies")),
    ("both", N_("Contacts and companies")),
)
VALID_FROM = Field("valid_from", N_("Valid from"), Kind.DATE, N_("YYYY-MM-DD; empty = always."))
VALID_TO = Field("valid_to", N_("Valid to"), Kind.DATE, N_("YYYY-MM-DD; empty = always."))


def products(path: str) -> tuple[Field, Field]:
    """Which products: ids and catalog sections (``products`` of offers, ``product`` of bundles)."""
    return (
        Field(f"{path}.ids", N_("Product ids"), Kind.IDS, N_("Separated by commas.")),
        Field(f"{path}.sections", N_("Catalog sections (ids)"), Kind.IDS, N_("Separated by commas.")),
    )
