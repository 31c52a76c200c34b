"""The program's ``notifications`` setting: which events are told over which channels, and the
portal's own templates (they must compile; ``registry.program.vetting`` bounds them further)."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import ChainableUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

CHANNELS = ("email", "sms", "whatsapp", "telegram")
EVENTS = (
    "accrued",
    "written_off",
    "reversed",
    "adjusted",
    "expiring",
    "expired",
    "campaign",
    "level_changed",
)
_ENV = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False)


class TemplateProblem(ValueError):
    pass


# "Name <address>" or a bare address: the sender of client e-mails (crm.activity.add MESSAGE_FROM).
_ADDRESS = r"[^@\s<>]{1,64}@[^@\s<>]{1,190}\.[^@\s<>.]{2,24}"
SENDER = re.compile(rf"{_ADDRESS}|[^<>\r\n]{{1,100}} <{_ADDRESS}>")


def check_settings(settings: Any) -> dict[str, Any]:
    """Validate the program's ``notifications`` value; templates must compile."""
    if not isinstance(settings, dict):
        raise TemplateProblem("must be an object with 'channels' and 'templates'")
    sender = settings.get("email_from")
    if sender is not None and (not isinstance(sender, str) or not SENDER.fullmatch(sender.strip())):
        raise TemplateProblem("email_from must be an e-mail address, optionally as 'Name <address>'")
    for event, channels in (settings.get("channels") or {}).items():
        if event not in EVENTS:
            raise TemplateProblem(f"unknown event {event!r}; use one of {', '.join(EVENTS)}")
        if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
            raise TemplateProblem(f"channels for {event} must be a list of {', '.join(CHANNELS)}")
    for event, by_language in (settings.get("templates") or {}).items():
        for language, source in (by_language or {}).items():
            try:
                _ENV.from_string(str(source))
            except TemplateError as exc:
                raise TemplateProblem(f"template {event}.{language}: {exc}") from exc
    return settings
