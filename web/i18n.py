"""Chinese first, English one click away.

Every user-facing string is written as a pair, ``t("中文", "English")``, so a page cannot be
Chinese without its English. A page's language comes from ``?lang=zh|en`` (remembered in a
cookie by pages only), then the cookie, then the configured default. A file to download is
made in :func:`download_lang`, which never reads the cookie.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Flask, Response, current_app, g, request

LANGS = ("zh", "en")
COOKIE = "lang"


def current_lang() -> str:
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get(COOKIE)
        g.lang = asked if asked in LANGS else current_app.config["DEFAULT_LANG"]
    return g.lang


def download_lang() -> str:
    """The language of a file made for this request: ``?lang=``, else the ``lang`` of the page
    the link was on (the Referer), else the configured default. Never the cookie: a language
    once asked for one download must not decide the next one."""
    page = parse_qs(urlsplit(request.referrer or "").query).get("lang", [None])[0]
    for asked in (request.args.get("lang"), page):
        if asked in LANGS:
            return asked
    return current_app.config["DEFAULT_LANG"]


def _is_page(response: Response) -> bool:
    return (response.status_code == 200 and response.mimetype == "text/html"
            and "attachment" not in response.headers.get("Content-Disposition", ""))


def t(zh: str, en: str) -> str:
    return en if current_lang() == "en" else zh


def pick(row, field: str) -> str:
    """``row[field_zh]`` or ``row[field_en]`` by language, falling back to the other one."""
    zh, en = row.get(f"{field}_zh") or "", row.get(f"{field}_en") or ""
    return (en or zh) if current_lang() == "en" else (zh or en)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(t=t, pick=pick, current_lang=current_lang)

    @app.after_request
    def remember_language(response):
        """Only a page shown in a language remembers it; downloads and API answers do not."""
        asked = request.args.get("lang")
        if asked in LANGS and _is_page(response):
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        return response
