"""Chinese first, English one click away.

Every user-facing string is written as a pair, ``t("中文", "English")``, so a page cannot be
Chinese without its English. The language comes from ``?lang=zh|en`` (remembered in a cookie),
then the cookie, then the configured default.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request

LANGS = ("zh", "en")
COOKIE = "lang"


def current_lang() -> str:
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get(COOKIE)
        g.lang = asked if asked in LANGS else current_app.config["DEFAULT_LANG"]
    return g.lang


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
        asked = request.args.get("lang")
        if asked in LANGS:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        return response
