"""The program's ``notifications`` setting: which events are told over which channels, and the
portal's own templates (they must compile; ``registry.program.vetting`` bounds them further)."""

from __future__ import annotations

from typing import Any

from jinja2 import ChainableUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

CHANNELS = ("email", "sms", "whatsapp")
EVENTS = ("accrued", "written_off", "reversed", "adjusted", "expiring", "expired", "campaign")
_ENV = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False)


class TemplateProblem(ValueError):
    pass


def check_settings(settings: Any) -> dict[str, Any]:
    """Validate the program's ``notifications`` value; templates must compile."""
    if not isinstance(settings, dict):
        raise TemplateProblem("must be an object with 'channels' and 'templates'")
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
