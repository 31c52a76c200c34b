"""ru/en texts in one place: Babel message catalogs with English msgids, the Russian translations in
``b24app/locale/ru/LC_MESSAGES/messages.po`` (read once with Babel's ``read_po``; no compiled
binaries are committed), and Babel for numbers, money and dates.

Python code marks a text with ``N_`` (kept in a table) or asks for it with ``t``; templates use
``_`` (``jinja2.ext.i18n``, the page's ``lang`` picks the catalog). A unit test extracts every
marked text with Babel and checks that the Russian catalog translates each one and nothing else.
Notification templates that administrators override stay Jinja sources in the program document.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_currency, parse_pattern
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE = "en"  # the msgids are English; other languages are catalogs
LANGS = ("ru", "en")


def lang(language: str | None) -> str:
    """``ru`` for Russian, else English (the portal's language decides)."""
    return "ru" if language == "ru" else "en"


@cache
def _catalog(code: str) -> dict[tuple[str | None, str], str]:
    path = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    if code == SOURCE or not path.exists():
        return {}
    with path.open("rb") as source:
        catalog = read_po(source, locale=code)
    return {(m.context, str(m.id)): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention Babel's extractor knows
    """Mark a text for the catalogs where it is defined (a table); ``t`` translates it where used."""
    return message


def t(language: str | None, message: str) -> str:
    """``message`` in ``language`` (the English msgid itself when there is no translation)."""
    return _catalog(lang(language)).get((None, message), message)


def both(message: str) -> dict[str, str]:
    """The text in every language, for portal fields that carry all of them (``{"ru": …, "en": …}``)."""
    return {code: t(code, message) for code in LANGS}


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def warm_up() -> None:
    """Load every language's catalog and Babel's locale data now (a process's start), not in the
    first job that formats a figure: Babel reads its data files on first use, a tenth of a second."""
    for code in LANGS:
        _catalog(code)
        points(Decimal("1234.5"), code)
        long_date(datetime(2026, 1, 1), code)


@cache
def _pattern(number_format: str) -> NumberPattern:
    return parse_pattern(number_format)


def _number(value: Decimal, number_format: str, language: str) -> str:
    """Babel's ``format_decimal`` with the locale and pattern parsed once (it parses both per call)."""
    return str(_pattern(number_format).apply(value, _locale(lang(language))))


def points(value: Decimal, language: str) -> str:
    return _number(value, "#,##0.00", language)


def money(value: Decimal, currency: str, language: str) -> str:
    return format_currency(value, currency or "RUB", locale=_locale(lang(language)))


def percent(value: Decimal, language: str) -> str:
    return _number(value, "#,##0.##", language)


def long_date(value: datetime, language: str) -> str:
    """ "30 ноября 2026 г." / "November 30, 2026"."""
    return format_date(value.date(), format="long", locale=lang(language))


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (a user's TIME_ZONE), UTC when it is empty or unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def date_time(value: datetime, language: str, tz: str | None = None) -> str:
    """ "01.12.2026, 13:43" / "12/1/26, 1:43 PM" in the zone ``tz``."""
    return format_datetime(value, format="short", tzinfo=zone(tz), locale=lang(language))


def day(value: datetime, language: str, tz: str | None = None) -> str:
    """ "1 дек. 2026 г." / "Dec 1, 2026": the day in the zone ``tz``."""
    return format_date(value.astimezone(zone(tz)).date(), format="medium", locale=lang(language))


def day_month(value: date, language: str) -> str:
    """ "1 дек." / "1 Dec": a chart's axis label."""
    return format_date(value, format="d MMM", locale=lang(language))


@pass_context
def _gettext(context: Context, message: str) -> str:
    return t(str(context.get("lang") or SOURCE), message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return t(str(context.get("lang") or SOURCE), singular if n == 1 else plural)


def install_jinja(env: Environment) -> None:
    """``{{ _('…') }}`` and ``{% trans %}`` in templates, in the language of the page's ``lang``."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
