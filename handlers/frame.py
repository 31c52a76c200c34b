"""Pages shown in the portal's frame: the portal's address for links, and the friendly error page."""

from __future__ import annotations

import re
from enum import StrEnum

from flask import Flask, render_template, request

from registry.bonuses.texts import lang

# What the portal puts in a frame's query as DOMAIN (api-reference/widgets/_includes/widget_data.md):
# a host name, optionally with a port; the emulator serves portals under a path, hence the tail.
_DOMAIN = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._-]+)*")


def portal_url() -> str:
    """``https://DOMAIN`` of the portal that opened this frame, or "" when the query has none."""
    domain = request.args.get("DOMAIN", "")
    if not _DOMAIN.fullmatch(domain):
        return ""
    scheme = "http" if request.args.get("PROTOCOL") == "0" else "https"
    return f"{scheme}://{domain}"


def register_frame_context(app: Flask) -> None:
    """Templates get ``portal_url`` (prefix for portal links that open in the slider via BX24)."""

    @app.context_processor
    def frame_context() -> dict[str, str]:
        return {"portal_url": portal_url()}


class FrameProblem(StrEnum):
    """Why a frame page cannot be shown; each kind has its words and its next step."""

    NOT_INSTALLED = "not_installed"
    UNVERIFIED = "frame_unverified"
    ACCESS_DENIED = "access_denied"
    BAD_REQUEST = "bad_request"
    UNAVAILABLE = "unavailable"
    PORTAL_SILENT = "portal_silent"
    INSTALL_REFUSED = "install_refused"
    INSTALL_LATER = "install_later"


STATUS = {
    FrameProblem.NOT_INSTALLED: 401,
    FrameProblem.UNVERIFIED: 401,
    FrameProblem.ACCESS_DENIED: 403,
    FrameProblem.BAD_REQUEST: 400,
    FrameProblem.UNAVAILABLE: 503,
    FrameProblem.PORTAL_SILENT: 503,
    FrameProblem.INSTALL_REFUSED: 401,
    FrameProblem.INSTALL_LATER: 503,
}

TEXTS: dict[str, dict[FrameProblem, tuple[str, str, str]]] = {
    "ru": {
        FrameProblem.NOT_INSTALLED: (
            "Приложение не установлено",
            "Портал не узнал это приложение: возможно, его удалили или установка не завершилась.",
            "Попросите администратора портала переустановить приложение «Бонусы».",
        ),
        FrameProblem.ACCESS_DENIED: (
            "Недостаточно прав",
            "У вас нет доступа к этой странице.",
            "Обратитесь к администратору портала.",
        ),
        FrameProblem.BAD_REQUEST: (
            "Страницу не удалось открыть",
            "Портал передал неполные данные.",
            "Закройте страницу и откройте её из карточки или меню портала ещё раз.",
        ),
        FrameProblem.UNAVAILABLE: (
            "Сервис временно недоступен",
            "Мы не смогли обработать запрос.",
            "Обновите страницу через минуту. Если ошибка повторяется, сообщите администратору.",
        ),
        FrameProblem.UNVERIFIED: (
            "Не удалось подтвердить пользователя",
            "Не удалось подтвердить, кто открыл эту страницу.",
            "Закройте страницу и откройте её снова из Битрикс24.",
        ),
        FrameProblem.PORTAL_SILENT: (
            "Битрикс24 не ответил",
            "Портал не ответил вовремя, поэтому мы не смогли проверить, кто открыл страницу.",
            "Откройте страницу ещё раз через минуту.",
        ),
        FrameProblem.INSTALL_REFUSED: (
            "Установка не подтверждена",
            "Установку не удалось подтвердить в Битрикс24.",
            "Установить приложение может только администратор портала. Попросите его открыть приложение.",
        ),
        FrameProblem.INSTALL_LATER: (
            "Сервер авторизации не ответил",
            "Сервер авторизации Битрикс24 не ответил, установка не начата.",
            "Откройте приложение ещё раз через минуту.",
        ),
    },
    "en": {
        FrameProblem.NOT_INSTALLED: (
            "The app is not installed",
            "The portal did not recognise this app: it may have been removed or its install did not finish.",
            "Ask your portal administrator to reinstall the Bonuses app.",
        ),
        FrameProblem.ACCESS_DENIED: (
            "Access denied",
            "You do not have access to this page.",
            "Ask your portal administrator for access.",
        ),
        FrameProblem.BAD_REQUEST: (
            "The page could not be opened",
            "The portal sent incomplete data.",
            "Close this page and open it again from the card or the portal's menu.",
        ),
        FrameProblem.UNAVAILABLE: (
            "The service is temporarily unavailable",
            "We could not handle the request.",
            "Reload the page in a minute. If it keeps failing, tell your administrator.",
        ),
        FrameProblem.UNVERIFIED: (
            "We could not confirm who you are",
            "We could not confirm who opened this page.",
            "Close this page and open it again from Bitrix24.",
        ),
        FrameProblem.PORTAL_SILENT: (
            "Bitrix24 did not answer",
            "The portal did not answer in time, so we could not check who opened the page.",
            "Open the page again in a minute.",
        ),
        FrameProblem.INSTALL_REFUSED: (
            "The installation was not confirmed",
            "The installation could not be confirmed with Bitrix24.",
            "Only a portal administrator can install the application. Ask them to open it.",
        ),
        FrameProblem.INSTALL_LATER: (
            "The authorisation server did not answer",
            "The Bitrix24 authorisation server did not answer, so the installation has not started.",
            "Open the application again in a minute.",
        ),
    },
}


def page_language(default: str = "en") -> str:
    """The portal's language from the frame's ``LANG`` query parameter (ru or en)."""
    return "ru" if str(request.args.get("LANG", default)).lower().startswith("ru") else "en"


def frame_error(problem: FrameProblem, language: str, detail: str = "") -> tuple[str, int]:
    """The friendly error page (never raw JSON in a frame) with the problem's HTTP status."""
    page_lang = lang(language)
    title, message, next_step = TEXTS[page_lang][problem]
    page = render_template(
        "error.html",
        lang=page_lang,
        title=title,
        message=message,
        next_step=next_step,
        detail=detail,
        code=problem.value,
    )
    return page, STATUS[problem]
