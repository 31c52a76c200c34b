"""Pages shown in the portal's frame: the portal's address for links, and the friendly error page."""

from __future__ import annotations

import re
from enum import StrEnum

from flask import Flask, render_template, request

from b24app import i18n
from b24app.i18n import N_, lang

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

# What each problem says: a title, what happened, what to do (English msgids, see b24app.i18n).
TEXTS: dict[FrameProblem, tuple[str, str, str]] = {
    FrameProblem.NOT_INSTALLED: (
        N_("The app is not installed"),
        N_("The portal did not recognise this app: it may have been removed or its install did not finish."),
        N_("Ask your portal administrator to reinstall the Bonuses app."),
    ),
    FrameProblem.ACCESS_DENIED: (
        N_("Access denied"),
        N_("You do not have access to this page."),
        N_("Ask your portal administrator for access."),
    ),
    FrameProblem.BAD_REQUEST: (
        N_("The page could not be opened"),
        N_("The portal sent incomplete data."),
        N_("Close this page and open it again from the card or the portal's menu."),
    ),
    FrameProblem.UNAVAILABLE: (
        N_("The service is temporarily unavailable"),
        N_("We could not handle the request."),
        N_("Reload the page in a minute. If it keeps failing, tell your administrator."),
    ),
    FrameProblem.UNVERIFIED: (
        N_("We could not confirm who you are"),
        N_("We could not confirm who opened this page."),
        N_("Close this page and open it again from Bitrix24."),
    ),
    FrameProblem.PORTAL_SILENT: (
        N_("Bitrix24 did not answer"),
        N_("The portal did not answer in time, so we could not check who opened the page."),
        N_("Open the page again in a minute."),
    ),
    FrameProblem.INSTALL_REFUSED: (
        N_("The installation was not confirmed"),
        N_("The installation could not be confirmed with Bitrix24."),
        N_("Only a portal administrator can install the application. Ask them to open it."),
    ),
    FrameProblem.INSTALL_LATER: (
        N_("The authorisation server did not answer"),
        N_("The Bitrix24 authorisation server did not answer, so the installation has not started."),
        N_("Open the application again in a minute."),
    ),
}


def page_language(default: str = "en") -> str:
    """The portal's language from the frame's ``LANG`` query parameter (ru or en)."""
    return "ru" if str(request.args.get("LANG", default)).lower().startswith("ru") else "en"


def frame_error(problem: FrameProblem, language: str, detail: str = "") -> tuple[str, int]:
    """The friendly error page (never raw JSON in a frame) with the problem's HTTP status."""
    page_lang = lang(language)
    title, message, next_step = (i18n.t(page_lang, text) for text in TEXTS[problem])
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
