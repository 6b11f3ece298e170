"""The production entry point: the app, checked for settings that must not reach production.

gunicorn::

    gunicorn --workers 4 --threads 4 --bind 127.0.0.1:8000 'app:production_app()'

waitress (one process, many threads; also on Windows)::

    waitress-serve --threads 16 --listen 127.0.0.1:8000 --call app:production_app

``scripts/serve-production.sh`` wraps both. ``python app.py`` / ``flask run`` is the
development server and never the production path.
"""

from __future__ import annotations

import logging
import sys

from flask import Flask

#: the development default of SECRET_KEY (``app.DEFAULTS``), refused in production
DEV_SECRET_KEY = "dev-only-change-me"
#: the shortest secret key accepted in production (``secrets.token_hex(32)`` gives 64)
MIN_SECRET_LENGTH = 32


class ProductionConfigError(RuntimeError):
    """A setting that is fine for development and unsafe in production."""


def problems(config) -> list[str]:
    """What is wrong with ``config`` for production (empty when nothing is)."""
    found = []
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY:
        found.append("SECRET_KEY is the development default: set SEI_ATLAS_SECRET_KEY "
                     "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')")
    elif len(key) < MIN_SECRET_LENGTH:
        found.append(f"SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters")
    if config.get("DEBUG") or config.get("TESTING"):
        found.append("DEBUG/TESTING is on")
    if config.get("WTF_CSRF_ENABLED") is False:
        found.append("CSRF protection is off (WTF_CSRF_ENABLED)")
    return found


def check(app: Flask) -> Flask:
    """Raise :class:`ProductionConfigError` listing every unsafe setting of ``app``."""
    found = problems(app.config)
    if found:
        raise ProductionConfigError("refusing to serve in production: " + "; ".join(found))
    return app


def checked(app: Flask) -> Flask:
    """``app`` for a production WSGI server (``app.production_app``); exits with a message
    when a setting is unsafe."""
    try:
        return check(app)
    except ProductionConfigError as exc:
        logging.getLogger("sei_atlas").critical("%s", exc)
        print(exc, file=sys.stderr)
        raise SystemExit(3) from exc
