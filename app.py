"""Henan SEI Atlas — the Flask application factory.

``python app.py`` serves on http://127.0.0.1:5000 (development server); production serving
is ``scripts/serve-production.sh`` (gunicorn or waitress, see README, "Operations").
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent

#: every setting, its default, and the environment variable that overrides it
DEFAULTS = {
    "SECRET_KEY": "dev-only-change-me",
    "DATA_DIR": str(ROOT / "data"),
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
    "TILE_URL": "",  # optional online/intranet tile layer, off by default
    "TILE_ATTRIBUTION": "",
    "DEFAULT_LANG": "zh",
    # operations (README, "Operations")
    "SESSION_COOKIE_SECURE": False,  # True when served over https
    "PROXY_FIX": 0,  # number of reverse proxies in front (X-Forwarded-For/-Proto trusted)
    "REQUEST_LOG": "-",  # JSON request lines: "-" stderr, a file path, or "" for none
    "RATELIMIT_STORAGE_URI": "memory://",  # redis://… or memcached://… to share between workers
    "LOGIN_RATE_LIMIT": "10 per minute; 50 per hour",  # failed sign-ins per address
    "UPLOAD_RATE_LIMIT": "20 per minute; 300 per hour",  # parcel checks and imports per user
}


def _from_env(app: Flask) -> None:
    for key, default in DEFAULTS.items():
        value = os.environ.get(f"SEI_ATLAS_{key}")
        if value is not None:
            if isinstance(default, bool):
                app.config[key] = value.strip().lower() in ("1", "true", "yes", "on")
            else:
                app.config[key] = int(value) if isinstance(default, int) else value


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    config_file = os.environ.get("SEI_ATLAS_CONFIG")
    if config_file:
        app.config.from_pyfile(config_file)
    _from_env(app)
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'atlas.db'}"

    from web import init_app

    init_app(app)
    return app


def cli():
    """Console entry point `sei-atlas …`: the Flask CLI bound to this app."""
    from flask.cli import FlaskGroup

    FlaskGroup(create_app=create_app)()


if __name__ == "__main__":
    create_app().run(host=os.environ.get("SEI_ATLAS_HOST", "127.0.0.1"),
                     port=int(os.environ.get("SEI_ATLAS_PORT", "5000")))
