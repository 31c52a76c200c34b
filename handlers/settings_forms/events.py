"""Customer events that earn through the API (a review, a referral)."""

from __future__ import annotations

from b24app.i18n import N_
from handlers.settings_forms import CODE, NAME
from handlers.settings_rows import Field, Kind, Rows, rows_section

FIELDS = (
    CODE,
    NAME,
    Field("points", N_("Points"), Kind.NUMBER),
    Field("per_client_max", N_("Most times per client"), Kind.WHOLE, N_("Empty = no bound.")),
    Field("referred_points", N_("Points for the referred client"), Kind.NUMBER, N_("Referrals only.")),
)

SECTION = rows_section(
    Rows("events", FIELDS, N_("Event %(number)s")), N_("Customer events"), "settings/events.html"
)
