"""Rate limits on sign-in and uploads (Flask-Limiter).

* Sign-in: failed attempts (the 401 answers) per account name and client address —
  ``LOGIN_RATE_LIMIT`` — so colleagues behind one office address never lock each other out;
  and, to stop one address trying many accounts, per address — ``LOGIN_ADDRESS_RATE_LIMIT``.
* Uploads (parcel checks, layer, survey and supply imports, tables of actual figures): per
  signed-in user, else per address — ``UPLOAD_RATE_LIMIT``.

Counters live in ``RATELIMIT_STORAGE_URI`` (``memory://`` by default: per process, so with
several gunicorn workers each counts on its own; give them a shared ``redis://…`` or
``memcached://…`` to count together). Over the limit: 429 with the bilingual message of
:mod:`web.errors` and a ``Retry-After`` header.

The limits are attached to the areas' blueprints (the views stay as their modules wrote them);
``exempt_when`` narrows each to its endpoints.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

LIMITER_KEY = "atlas_limiter"
LOGIN_ENDPOINTS = frozenset({"auth.login"})
UPLOAD_ENDPOINTS = frozenset({"quota.check_upload", "quota_api.api_check", "admin.upload",
                              "actuals.import_form", "actuals_api.api_import",
                              "survey_api.import_survey", "survey_api.import_supply"})


def user_or_address() -> str:
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"addr:{get_remote_address()}"


def account_and_address() -> str:
    """The account a sign-in tries (as typed) and the address it comes from."""
    return f"addr:{get_remote_address()}|user:{(request.form.get('username') or '').strip()}"


def _failed_sign_in(response) -> bool:
    return response.status_code == 401


def init_app(app: Flask) -> Limiter:
    from web.actuals import api as actuals_api
    from web.actuals import bp as actuals_bp
    from web.admin import bp as admin_bp
    from web.auth import bp as auth_bp
    from web.quota import api as quota_api
    from web.quota import bp as quota_bp
    from web.survey import api as survey_api

    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter = Limiter(get_remote_address, app=app, strategy="moving-window")

    def not_endpoint(endpoints):
        return lambda: request.endpoint not in endpoints or request.method != "POST"

    limiter.limit(lambda: app.config["LOGIN_RATE_LIMIT"], key_func=account_and_address,
                  exempt_when=not_endpoint(LOGIN_ENDPOINTS), deduct_when=_failed_sign_in)(auth_bp)
    limiter.limit(lambda: app.config["LOGIN_ADDRESS_RATE_LIMIT"], key_func=get_remote_address,
                  exempt_when=not_endpoint(LOGIN_ENDPOINTS), deduct_when=_failed_sign_in)(auth_bp)
    for bp in (quota_bp, quota_api, admin_bp, actuals_bp, actuals_api, survey_api):
        limiter.limit(lambda: app.config["UPLOAD_RATE_LIMIT"], key_func=user_or_address,
                      exempt_when=not_endpoint(UPLOAD_ENDPOINTS))(bp)
    app.extensions[LIMITER_KEY] = limiter
    return limiter
