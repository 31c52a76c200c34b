"""What a ledger entry is: its kind, one of a closed set (the CHECK constraint is generated from it).

Later features add kinds (campaign awards, approved requests, customer events…) with a migration
that regenerates the CHECK.
"""

from __future__ import annotations

from enum import StrEnum


class EntryKind(StrEnum):
    ACCRUAL = "accrual"  # a won deal
    MANUAL_ACCRUAL = "manual_accrual"  # a manager's accrual (the ``bonus_accrue`` robot)
    WRITE_OFF = "write_off"  # spending (robots, support)
    EXPIRY = "expiry"  # what was left in a lot when it expired
    REVERSAL = "reversal"  # a deal left the won stage: what is left of its lot is cancelled
    DEAL_ADJUSTMENT = "deal_adjustment"  # a won deal's amount changed: its accrual follows
    CORRECTION = "correction"  # support, signed
    DEBT_SETTLEMENT = "debt_settlement"  # a new credit pays debt left by a reversal or a cut
    REQUEST_ACCRUAL = "request_accrual"  # an approved bonus request (source request:{id})
    CAMPAIGN = "campaign"  # a campaign's award (birthday, anniversary, a fixed date)
    CUSTOMER_EVENT = "customer_event"  # a customer event posted through the API (a review, a referral)
    OPENING_BALANCE = "opening_balance"  # a balance brought over from another system (CSV import)


# What took bonuses the client had (their draws become debt when the lot's deal is reversed); an
# expiry or a deal's own cut is not spending.
SPENDING = frozenset({EntryKind.WRITE_OFF, EntryKind.CORRECTION, EntryKind.DEBT_SETTLEMENT})
# Credits whose lot follows the registry's pending -> active -> expired stages.
ACCRUALS = frozenset(
    {
        EntryKind.ACCRUAL,
        EntryKind.MANUAL_ACCRUAL,
        EntryKind.REQUEST_ACCRUAL,
        EntryKind.CAMPAIGN,
        EntryKind.CUSTOMER_EVENT,
        EntryKind.OPENING_BALANCE,
    }
)


def kind_check(column: str = "kind") -> str:
    """The CHECK constraint's SQL: the column holds one of the kinds."""
    return f"{column} IN ({', '.join(repr(str(kind)) for kind in EntryKind)})"
