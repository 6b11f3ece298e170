"""The web layer: one blueprint per user-facing area, thin handlers over `layers/` and `parks/`.

Each area module has a ``bp`` blueprint and may have ``init_app(app)`` for its extensions,
CLI commands and navigation entries (``add_nav``).
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

from parks.catalog import Catalog, ensure_data

NAV_KEY = "atlas_nav"
#: gzip/brotli these (flask-compress's defaults lack GeoJSON, our biggest responses)
COMPRESSED_TYPES = ["text/html", "text/css", "text/xml", "text/csv", "application/json",
                    "application/geo+json", "application/javascript", "text/javascript",
                    "image/svg+xml", "application/vnd.google-earth.kml+xml"]


def add_nav(app: Flask, endpoint: str, zh: str, en: str, *, order: int = 50) -> None:
    """Add a link to the top navigation of every page."""
    app.extensions[NAV_KEY].append((order, endpoint, zh, en))
    app.extensions[NAV_KEY].sort()


def init_app(app: Flask) -> None:
    from web import admin, api, assets, auth, cli, errors, export, i18n, ogc, ops, pages, quota

    ensure_data(app.config["DATA_DIR"])
    app.extensions["atlas_catalog"] = Catalog(app.config["DATA_DIR"])
    app.extensions[NAV_KEY] = []
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    Compress(app)
    for module in (i18n, errors, cli):
        module.init_app(app)
    for module in (ops, assets, api, pages, auth, quota, export, ogc, admin):
        if hasattr(module, "init_app"):
            module.init_app(app)
        app.register_blueprint(module.bp)
    app.jinja_env.globals["nav_links"] = lambda: app.extensions[NAV_KEY]
