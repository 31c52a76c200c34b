"""Words of the tamper guard: the timeline note on a put-back item (or on the client, for a re-created
one) and the administrator's notification, naming who changed which fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from b24app.i18n import N_, points, t
from registry.bonuses import texts
from registry.bonuses.target import RegistryTarget
from registry.ledger.views import EntryView

# Item fields by what they mean to an administrator (the UF suffixes as the registry names them).
LABELS = {
    "title": N_("Title"),
    "xmlId": N_("External code"),
    "contactId": N_("Client"),
    "companyId": N_("Client"),
    "stageId": N_("Stage"),
    "parentId2": N_("Deal"),
    "OPERATION": N_("Operation"),
    "AMOUNT": N_("Amount"),
    "BALANCE_AFTER": N_("Balance after"),
    "EXPIRES_AT": N_("Expires"),
    "REASON": N_("Reason"),
}
EDIT_TITLE = N_("Manual change put back")
EDIT_NOTE = N_(
    "{who} changed this bonus movement by hand ({fields}); the values from the bonus ledger were put back."
)
DELETE_TITLE = N_("Deleted bonus movement re-created")
DELETE_NOTE = N_(
    "The bonus movement “{title}” was deleted from the registry by hand; "
    "it was re-created from the bonus ledger."
)
EDIT_NOTICE = N_(
    "{who} changed the bonus movement “{title}” ({amount}, {client}) by hand: {fields}. "
    "Closed bonuses stay closed: the values from the bonus ledger were put back."
)
DELETE_NOTICE = N_(
    "The bonus movement “{title}” ({amount}, {client}) was deleted from the registry by hand; "
    "it was re-created from the bonus ledger."
)
SOMEONE = N_("Someone")
OWNERS = {"contact": N_("contact"), "company": N_("company")}
ICON = "info"  # crm.timeline.icon.list: a system icon every portal has


def entry_title(entry: EntryView, language: str) -> str:
    return texts.item_title(entry, language)


def field_names(fields: Sequence[str], target: RegistryTarget, language: str) -> str:
    by_uf = {name: suffix for suffix, name in target.fields.items()}
    labels = [t(language, LABELS.get(by_uf.get(f, f), N_("Title"))) for f in fields]
    return ", ".join(dict.fromkeys(labels))


def _who(who: str | None, language: str) -> str:
    return who or t(language, SOMEONE)


def note(
    fields: Sequence[str], who: str | None, title: str, target: RegistryTarget, language: str
) -> dict[str, Any]:
    """The timeline note: on the item when it was put back, on the client when it was re-created."""
    if fields:
        text = t(language, EDIT_NOTE).format(
            who=_who(who, language), fields=field_names(fields, target, language)
        )
        return {"title": t(language, EDIT_TITLE), "text": text}
    return {"title": t(language, DELETE_TITLE), "text": t(language, DELETE_NOTE).format(title=title)}


def notice(
    fields: Sequence[str],
    who: str | None,
    title: str,
    entry: EntryView,
    target: RegistryTarget,
    language: str,
) -> str:
    """The administrator's notification: who changed what, and that it was put back."""
    facts = {
        "title": title,
        "amount": points(entry.amount, language),
        "client": f"{t(language, OWNERS[entry.owner_type])} #{entry.owner_id}",
    }
    if fields:
        names = field_names(fields, target, language)
        return t(language, EDIT_NOTICE).format(who=_who(who, language), fields=names, **facts)
    return t(language, DELETE_NOTICE).format(**facts)
