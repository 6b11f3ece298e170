"""The web layer: one blueprint per user-facing area, thin handlers over `layers/` and `parks/`."""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

from parks.catalog import Catalog, ensure_data


def init_app(app: Flask) -> None:
    from web import api, assets, cli, errors, i18n, pages

    ensure_data(app.config["DATA_DIR"])
    app.extensions["atlas_catalog"] = Catalog(app.config["DATA_DIR"])
    Compress(app)
    i18n.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    for module in (assets, api, pages):
        app.register_blueprint(module.bp)
