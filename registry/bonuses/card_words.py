"""The card tab's words: why a movement happened and who made it (English msgids, see b24app.i18n)."""

from __future__ import annotations

from decimal import Decimal

from b24app.i18n import N_, money, percent, t
from registry.bonuses.card import Line
from registry.ledger.kinds import EntryKind

WHY = {
    EntryKind.REVERSAL: N_("the deal is no longer won"),
    EntryKind.EXPIRY: N_("their lifetime ended"),
    EntryKind.DEAL_ADJUSTMENT: N_("the deal's amount changed"),
    EntryKind.DEBT_SETTLEMENT: N_("pays off the debt"),
}
RULE_PERCENT = N_("rule {number}: {percent}% of {base}")
RULE_OTHER = N_("rule {number} ({kind}) on {base}")
RULE_KINDS = {"percent": N_("percent"), "tiers": N_("tiers"), "formula": N_("formula")}
SUPPORT = N_("support")
ROBOT = N_("a robot")
SYSTEM = N_("the app")
USER = N_("user #{id}")


def reason(line: Line, language: str) -> str:
    """The movement's reason in words: the rule and percent, the deal's change, or the given reason."""
    if line.reason:
        return line.reason
    snap = line.snapshot
    if line.kind == EntryKind.ACCRUAL and snap.get("base_amount") is not None:
        base = money(Decimal(str(snap["base_amount"])), str(snap.get("currency") or ""), language)
        number = int(snap.get("rule_index") or 0) + 1
        if snap.get("percent") is not None:
            rate = percent(Decimal(str(snap["percent"])), language)
            return t(language, RULE_PERCENT).format(number=number, percent=rate, base=base)
        kind = str(snap.get("kind") or "")
        words = t(language, RULE_KINDS[kind]) if kind in RULE_KINDS else kind
        return t(language, RULE_OTHER).format(number=number, kind=words, base=base)
    return t(language, WHY[EntryKind(line.kind)]) if line.kind in WHY else ""


def actor(line: Line, language: str, viewer_id: int, viewer_name: str) -> str:
    """Who made it: the viewer by name, another user by number, a robot, support or the app itself."""
    who = line.actor
    if who.startswith("user:"):
        number = who.partition(":")[2]
        if number == str(viewer_id) and viewer_name:
            return viewer_name
        return t(language, USER).format(id=number)
    if who == "console":
        return t(language, SUPPORT)
    if who.startswith("robot"):
        return t(language, ROBOT)
    return t(language, SYSTEM)
