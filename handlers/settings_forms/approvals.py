"""Approval definitions: what a manager may request, within which bounds, for whom, approved by whom."""

from __future__ import annotations

from b24app.i18n import N_
from handlers.settings_forms import CODE, NAME, VALID_FROM, VALID_TO, products
from handlers.settings_rows import Field, Kind, Rows, rows_section

CONDITION_HINT = N_(
    "One comparison a line, all must hold: CATEGORY_ID = 0, or UF_CRM_DONE > {UF_CRM_DUE} "
    "to compare two deal fields. Empty = every deal."
)
FIELDS = (
    CODE,
    NAME,
    Field(
        "kind",
        N_("Kind"),
        Kind.CHOICE,
        options=(
            ("bonus_points", N_("Bonus points")),
            ("discount_amount", N_("Discount, amount")),
            ("discount_percent", N_("Discount, percent")),
            ("free_period", N_("Free period, days")),
        ),
    ),
    Field("range.min", N_("From"), Kind.NUMBER),
    Field("range.max", N_("Up to"), Kind.NUMBER),
    VALID_FROM,
    VALID_TO,
    Field("per_month_max", N_("Most per client a month"), Kind.NUMBER, N_("Empty = no cap.")),
    Field("per_year_count", N_("Requests per client a year"), Kind.WHOLE, N_("Empty = no cap.")),
    *products("products"),
    Field("segment", N_("Deals it is for"), Kind.CONDITION, CONDITION_HINT),
    Field(
        "approval.mode",
        N_("Approval"),
        Kind.CHOICE,
        options=(("automatic", N_("Automatic")), ("manual", N_("By approvers"))),
    ),
    Field("approval.approvers", N_("Approvers (user ids)"), Kind.IDS, when=("approval.mode", "manual")),
    Field(
        "approval.departments", N_("Approving departments (ids)"), Kind.IDS, when=("approval.mode", "manual")
    ),
    Field("auto_apply", N_("Applied by itself when its condition holds"), Kind.FLAG),
    Field("auto_condition", N_("Condition for applying by itself"), Kind.CONDITION, CONDITION_HINT),
)

SECTION = rows_section(
    Rows("approvals", FIELDS, N_("Definition %(number)s")),
    N_("Approval definitions"),
    "settings/approvals.html",
)
