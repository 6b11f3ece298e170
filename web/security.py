"""Security policy of every response: a strict Content-Security-Policy with a per-request nonce,
the usual headers, secure session cookies, and default-deny for the ledger and the admin pages.

CSP and inline scripts. Every asset is served by the app, so scripts come from ``'self'`` only,
plus inline ``<script>`` blocks that carry this request's nonce. Templates may write
``<script nonce="{{ csp_nonce() }}">``; Folium's output (the maps' inline scripts, cached per
data version) cannot know the nonce, so :func:`add_nonces` gives every ``<script`` tag of an
HTML response that has none this request's nonce. That is safe because no user input reaches
an HTML page unescaped: Jinja autoescapes, Folium embeds data with ``tojson`` (``<`` becomes
``\\u003c``), so the only ``<script`` tags in a page are the app's own
(tests/test_web_security.py checks this with hostile layer names).

``style-src`` keeps ``'unsafe-inline'``: Leaflet and Folium write ``style=""`` attributes
(marker icons, popups, the map div's size) and Folium emits ``<style>`` blocks; styles cannot
run code, and scripts stay strict.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask.typing import ResponseReturnValue

#: areas that nobody reaches without signing in, whatever their views declare (default-deny):
#: blueprint name -> role required at least (None: any signed-in user)
PROTECTED_BLUEPRINTS = {"quota": None, "quota_api": None, "admin": "admin", "survey_api": "land_staff"}

_SCRIPT_TAG = re.compile(rb"<script(?![^>]*\bnonce=)", re.IGNORECASE)
_TILE_SUBDOMAIN = re.compile(r"^\{[a-z]\}\.")


def csp_nonce() -> str:
    """This request's CSP nonce (Jinja global ``csp_nonce()``)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def tile_source(tile_url: str) -> str | None:
    """The CSP source of the optional tile layer: ``https://t{s}.example/…`` -> ``https://*.example``
    (Leaflet's ``{s}`` subdomains); None when no tile layer is configured."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    host = parts.netloc
    if "{s}" in host:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{parts.scheme}://{host}" if parts.scheme and host else None


def content_security_policy(nonce: str, tile_url: str = "") -> str:
    tiles = tile_source(tile_url)
    img = "'self' data: blob:" + (f" {tiles}" if tiles else "")
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {img}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


#: set on every response
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_nonces(html: bytes, nonce: str) -> bytes:
    """Give every ``<script`` tag without a nonce attribute this request's nonce."""
    return _SCRIPT_TAG.sub(b'<script nonce="' + nonce.encode() + b'"', html)


def _secure_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = content_security_policy(
        nonce, current_app.config.get("TILE_URL", ""))
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if (response.mimetype == "text/html" and not response.direct_passthrough
            and not response.is_streamed):
        response.set_data(add_nonces(response.get_data(), nonce))
    return response


def _default_deny() -> ResponseReturnValue | None:
    """Sign-in (and the admin role) before any view of a protected area runs."""
    if request.blueprint not in PROTECTED_BLUEPRINTS:
        return None
    from web.auth import role_required

    role = PROTECTED_BLUEPRINTS[request.blueprint]
    return role_required(*([role] if role else []))(lambda: None)()


def init_app(app: Flask) -> None:
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.before_request(_default_deny)
    app.after_request(_secure_headers)
