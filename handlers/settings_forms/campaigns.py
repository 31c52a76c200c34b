"""Campaigns: a trigger (a client's date every year, or one date), which clients, and the award."""

from __future__ import annotations

from b24app.i18n import N_
from handlers.settings_forms import CLIENTS, CODE, GROUPS_HINT, NAME
from handlers.settings_rows import Field, Kind, Rows, rows_section

FIELDS = (
    CODE,
    NAME,
    Field("active", N_("Active"), Kind.FLAG, default=True),
    Field(
        "trigger.kind",
        N_("When"),
        Kind.CHOICE,
        options=(("date", N_("Every year on a client's date")), ("once", N_("Once, on a fixed date"))),
        default="date",
    ),
    Field(
        "trigger.field",
        N_("The client's date"),
        hint=N_("BIRTHDATE, created or a date field UF_CRM_…"),
        when=("trigger.kind", "date"),
    ),
    Field("trigger.days_before", N_("Days before the date"), Kind.WHOLE, when=("trigger.kind", "date")),
    Field(
        "trigger.date",
        N_("The fixed date"),
        Kind.DATE,
        N_("YYYY-MM-DD, for a campaign run once."),
        when=("trigger.kind", "once"),
    ),
    Field("segment.clients", N_("Clients"), Kind.CHOICE, options=CLIENTS, default="contacts"),
    Field("segment.registered_days_min", N_("Registered at least, days"), Kind.WHOLE),
    Field("segment.registered_days_max", N_("Registered at most, days"), Kind.WHOLE),
    Field("segment.groups", N_("Customer groups"), Kind.WORDS, GROUPS_HINT),
    Field(
        "segment.filter",
        N_("Client filters"),
        Kind.FILTER,
        N_("One a line: FIELD = value, value (TYPE_ID, SOURCE_ID, ASSIGNED_BY_ID or UF_CRM_…)."),
    ),
    Field("award.points", N_("Points"), Kind.NUMBER),
    Field(
        "award.lifetime_days", N_("Points live, days"), Kind.WHOLE, N_("0 = they never expire."), default=0
    ),
    Field("award.legal_entity", N_("Legal entity (company id)"), Kind.WHOLE, N_("Empty = the program's.")),
    Field("award.description", N_("Description")),
    Field(
        "notify",
        N_("Notify by"),
        Kind.CHOICE,
        options=(
            ("", N_("As the notifications say")),
            ("email", "E-mail"),
            ("sms", "SMS"),
            ("whatsapp", "WhatsApp"),
            ("none", N_("Do not notify")),
        ),
    ),
)

SECTION = rows_section(
    Rows("campaigns", FIELDS, N_("Campaign %(number)s")), N_("Campaigns"), "settings/campaigns.html"
)
