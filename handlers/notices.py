"""Friendly HTML pages for people in a portal frame: who could not be confirmed, what to do next."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

TEXTS = {
    "ru": {
        "title": "Бонусы",
        "frame_unverified": "Не удалось подтвердить, кто открыл эту страницу. "
        "Закройте её и откройте снова из Битрикс24.",
        "portal_silent": "Битрикс24 не ответил вовремя. Попробуйте открыть страницу ещё раз.",
        "install_refused": "Установку не удалось подтвердить в Битрикс24. "
        "Установить приложение может только администратор портала.",
        "install_later": "Сервер авторизации Битрикс24 не ответил. Откройте приложение ещё раз через минуту.",
    },
    "en": {
        "title": "Bonuses",
        "frame_unverified": "We could not confirm who opened this page. "
        "Close it and open it again from Bitrix24.",
        "portal_silent": "Bitrix24 did not answer in time. Please open the page again.",
        "install_refused": "The installation could not be confirmed with Bitrix24. "
        "Only a portal administrator can install the application.",
        "install_later": "The Bitrix24 authorisation server did not answer. "
        "Open the application again in a minute.",
    },
}


def page_language(default: str = "en") -> str:
    """The portal's language from the frame's ``LANG`` query parameter (ru or en)."""
    return "ru" if str(request.args.get("LANG", default)).lower().startswith("ru") else "en"


def notice(key: str, status: int, default_language: str = "en") -> ResponseReturnValue:
    """A page in the portal's language that says ``TEXTS[lang][key]``, answered with ``status``."""
    lang = page_language(default_language)
    texts = TEXTS[lang]
    return render_template("notice.html", lang=lang, title=texts["title"], message=texts[key]), status
