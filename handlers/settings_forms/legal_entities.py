"""Legal entities: the portal's own companies that owe what the program awards."""

from __future__ import annotations

from b24app.i18n import N_
from handlers.settings_rows import Field, Kind, Rows, rows_section

FIELDS = (
    Field("default", N_("Default legal entity (company id)"), Kind.WHOLE, N_("Empty = none.")),
    Field("companies", N_("The portal's own companies (ids)"), Kind.IDS, N_("Separated by commas.")),
    Field("from_deal", N_("Without a default, the deal's own company"), Kind.FLAG),
)

SECTION = rows_section(
    Rows("legal_entities", FIELDS, single=True), N_("Legal entities"), "settings/legal_entities.html"
)
