"""The settings page's sections: each turns part of the program document into form fields and back.

A part of the program adds one ``Section`` (handlers/settings_base.py) to ``SECTIONS`` with its
template under templates/settings/: ``fields`` gives the template its values from the document,
``apply`` writes the posted form into a copy of the document. Field names are flat
(``rules-0-percent``) and ``field_of`` maps a program error's JSON path to the field it names, so
the error is shown next to that field. The program's lists (campaigns, offers, …) are repeatable
rows, one module each under handlers/settings_forms/ (handlers/settings_rows.py).
"""

from __future__ import annotations

import re
from typing import Any

from b24app.i18n import N_
from handlers.settings_base import FieldProblem, Form, Section, number, whole
from handlers.settings_forms import approvals, bundles, campaigns, events, groups, legal_entities, offers
from handlers.settings_tiers import tiers_apply, tiers_fields
from registry.program.notifications import CHANNELS, EVENTS

__all__ = ["SECTIONS", "FieldProblem", "Form", "Section", "apply_all", "field_of", "kept_rules"]

MAX_RULES = 20


# Rules -------------------------------------------------------------------------------------------


def _tiers_text(tiers: list[dict[str, Any]]) -> str:
    return "\n".join(f"{t.get('from') or 0} {t.get('percent') or ''}".strip() for t in tiers)


def _tiers(text: str, name: str) -> list[dict[str, Any]]:
    """``from percent`` per line: "0 3", "10000 5"."""
    out = []
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        parts = line.replace(",", ".").split()
        if len(parts) != 2 or not all(re.fullmatch(r"\d{1,12}(\.\d{1,4})?", p) for p in parts):
            raise FieldProblem(name, "each line is an amount and a percent, e.g. 10000 5")
        out.append({"from": parts[0], "percent": parts[1]})
    return out


def rules_fields(doc: dict[str, Any]) -> dict[str, Any]:
    rules = [
        {
            "kind": r.get("kind", "percent"),
            "percent": r.get("percent", ""),
            "formula": r.get("formula", ""),
            "tiers": _tiers_text(r.get("tiers") or []),
            "rounding": r.get("rounding", "cents"),
        }
        for r in doc.get("rules", [])
    ]
    return {"rules": rules, "kinds": ("percent", "tiers", "formula")}


def kept_rules(form: Form) -> list[int]:
    """The form's rule rows that go into the document (not blank, not marked for removal)."""
    kept = []
    for i in range(MAX_RULES + 1):
        kind = form.get(f"rules-{i}-kind")
        if kind is None:
            break
        if kind and not form.get(f"rules-{i}-remove"):
            kept.append(i)
    return kept


def rules_apply(form: Form, doc: dict[str, Any]) -> None:
    rules = []
    for i in kept_rules(form):
        kind = form.get(f"rules-{i}-kind") or ""
        rule: dict[str, Any] = {"kind": kind, "rounding": form.get(f"rules-{i}-rounding") or "cents"}
        if kind == "percent":
            rule["percent"] = number(form, f"rules-{i}-percent")
        elif kind == "tiers":
            rule["tiers"] = _tiers(form.get(f"rules-{i}-tiers") or "", f"rules-{i}-tiers")
        else:
            rule["formula"] = (form.get(f"rules-{i}-formula") or "").strip()
        rules.append(rule)
    doc["rules"] = rules


# Lifetime, holds and reminders; caps and debt ---------------------------------------------------

LIFETIME = ("lifetime_days", "hold_days", "remind_days")
CAPS = (
    "writeoff_max_per_operation",
    "writeoff_max_deal_share",
    "manual_accrual_approval_above",
    "max_manager_percent",
)


def lifetime_fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {key: doc.get(key) for key in LIFETIME}


def lifetime_apply(form: Form, doc: dict[str, Any]) -> None:
    for key in LIFETIME:
        doc[key] = whole(form, key)


def caps_fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        **{key: doc.get(key) for key in CAPS},
        "debt_mode": doc.get("debt_mode"),
        "owner_preference": doc.get("owner_preference"),
    }


def caps_apply(form: Form, doc: dict[str, Any]) -> None:
    for key in CAPS:
        doc[key] = number(form, key)
    if doc["max_manager_percent"] is None:
        raise FieldProblem("max_manager_percent", "is required")
    doc["debt_mode"] = form.get("debt_mode") or ""
    doc["owner_preference"] = form.get("owner_preference") or ""


# Notifications ----------------------------------------------------------------------------------


def notifications_fields(doc: dict[str, Any]) -> dict[str, Any]:
    settings = doc.get("notifications") or {}
    return {
        "events": EVENTS,
        "channels": CHANNELS,
        "on": {e: list((settings.get("channels") or {}).get(e) or []) for e in EVENTS},
        "texts": {e: dict((settings.get("templates") or {}).get(e) or {}) for e in EVENTS},
    }


def notifications_apply(form: Form, doc: dict[str, Any]) -> None:
    channels = {e: [c for c in CHANNELS if form.get(f"channel-{e}-{c}")] for e in EVENTS}
    templates: dict[str, dict[str, str]] = {}
    for event in EVENTS:
        for language in ("ru", "en"):
            text = (form.get(f"text-{event}-{language}") or "").strip()
            if text:
                templates.setdefault(event, {})[language] = text
    doc["notifications"] = {"channels": {e: c for e, c in channels.items() if c}, "templates": templates}


SECTIONS: list[Section] = [
    Section("rules", N_("Accrual rules"), "settings/rules.html", rules_fields, rules_apply),
    Section(
        "lifetime",
        N_("Lifetime, holds and reminders"),
        "settings/lifetime.html",
        lifetime_fields,
        lifetime_apply,
    ),
    Section("caps", N_("Spending caps and debt"), "settings/caps.html", caps_fields, caps_apply),
    Section(
        "notifications",
        N_("Notifications"),
        "settings/notifications.html",
        notifications_fields,
        notifications_apply,
    ),
    Section("tiers", N_("Client levels"), "settings/tiers.html", tiers_fields, tiers_apply),
    # The program's lists, one form module each (handlers/settings_forms/); tiers add theirs here.
    approvals.SECTION,
    campaigns.SECTION,
    groups.SECTION,
    offers.SECTION,
    bundles.SECTION,
    events.SECTION,
    legal_entities.SECTION,
]


def field_of(path: str, message: str, form: Form) -> str:
    """The form field a program error names: ``$.rules[0].formula`` -> ``rules-{kept row 0}-formula``."""
    for section in SECTIONS:
        named = section.errors(path, form) if section.errors else None
        if named is not None:
            return named
    rows = kept_rules(form)
    template = re.match(r"template (\w+)\.(ru|en)", message)
    if path == "$.notifications" and template:
        return f"text-{template.group(1)}-{template.group(2)}"
    rule = re.match(r"\$\.rules\[(\d+)\]\.?(\w+)?", path)
    if rule:
        index = int(rule.group(1))
        row = rows[index] if index < len(rows) else index
        return f"rules-{row}-{rule.group(2) or 'kind'}"
    return path.removeprefix("$.").split(".")[0].split("[")[0] or "rules"


def apply_all(form: Form, doc: dict[str, Any]) -> dict[str, Any]:
    """The document the form describes (every section applied to a copy of ``doc``)."""
    new = dict(doc)
    for section in SECTIONS:
        section.apply(form, new)
    return new
