"""Henan SEI Atlas — the Flask application factory.

``python app.py`` serves on http://127.0.0.1:5000 (development server); production serving
is ``scripts/serve-production.sh`` (gunicorn or waitress, see docs/operators.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from core.shipped import shipped
from web.production import DEV_SECRET_KEY

#: every setting, its default, and the environment variable that overrides it
DEFAULTS = {
    "SECRET_KEY": DEV_SECRET_KEY,
    "DATA_DIR": None,  # default: data/ in the instance folder (imported layers, drop-ins, tiles)
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
    "VECTOR_TILE_ENGINE": "auto",  # auto | embedded (MBTiles files) | postgis (ST_AsMVT)
    "TILE_URL": "",  # optional raster basemap (天地图, intranet XYZ/WMTS), off by default
    "TILE_ATTRIBUTION": "",
    "TILE_KEY": "",  # fills {key} in TILE_URL (e.g. 天地图's tk={key})
    "DEFAULT_LANG": "zh",
    # operations (docs/operators.md)
    "SESSION_COOKIE_SECURE": False,  # True when served over https
    "PROXY_FIX": 0,  # number of reverse proxies in front (X-Forwarded-For/-Proto trusted)
    "REQUEST_LOG": "-",  # JSON request lines: "-" stderr, a file path, or "" for none
    "RATELIMIT_STORAGE_URI": "memory://",  # redis://… or memcached://… to share between workers
    "LOGIN_RATE_LIMIT": "10 per minute; 50 per hour",  # failed sign-ins per account and address
    "LOGIN_ADDRESS_RATE_LIMIT": "100 per minute; 500 per hour",  # failed sign-ins per address
    "UPLOAD_RATE_LIMIT": "20 per minute; 300 per hour",  # parcel checks and imports per user
    # exports per worker process (web/export_queue.py): keep running + queued below THREADS
    "EXPORT_CONCURRENCY": 1,  # renders at once (CPU-bound: more only slows every thread of the worker)
    "EXPORT_QUEUE": 1,  # exports waiting for a render slot; more get 503 + Retry-After
    "EXPORT_PER_USER": 2,  # exports one user (or address, signed out) may have running or waiting
    "EXPORT_WAIT_S": 30,  # longest wait for a slot before 503
    "DASK_SCHEDULER": "",  # flask check-parcels: tcp://host:8786 of a running scheduler; "" = local cluster
}


def _from_env(app: Flask) -> None:
    for key, default in DEFAULTS.items():
        value = os.environ.get(f"SEI_ATLAS_{key}")
        if value is not None:
            if isinstance(default, bool):
                app.config[key] = value.strip().lower() in ("1", "true", "yes", "on")
            else:
                app.config[key] = int(value) if isinstance(default, int) else value


#: the top navigation of every page: (endpoint, Chinese, English), in order
NAVIGATION = (
    ("pages.overview", "地图", "Map"),
    ("pages.park_list", "园区", "Parks"),
    ("pages.built_up", "建成面积", "Built-up area"),
    ("pages.revenue", "集群收入", "Cluster revenue"),
    ("pages.investment", "完成投资", "Investment"),
    ("quota.ledger_page", "用地指标台账", "Quota ledger"),
    ("quota.check_form", "地块核查", "Parcel check"),
    ("export.index", "导出地图", "Export maps"),
    ("data.index", "数据下载", "Data"),
    ("admin.index", "图层导入", "Layer import"),
    ("auth.login", "账户", "Account"),
)
#: gzip/brotli these (flask-compress's defaults lack GeoJSON, our biggest responses)
COMPRESSED_TYPES = ["text/html", "text/css", "text/xml", "text/csv", "application/json",
                    "application/geo+json", "application/javascript", "text/javascript",
                    "image/svg+xml", "application/vnd.google-earth.kml+xml"]


def _configure(app: Flask, test_config: dict | None) -> None:
    """Defaults, then the config file (``SEI_ATLAS_CONFIG``), then ``SEI_ATLAS_*``, then tests'."""
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
    app.config["DATA_DIR"] = app.config["DATA_DIR"] or str(Path(app.instance_path) / "data")
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)


def create_app(test_config: dict | None = None) -> Flask:
    from flask_compress import Compress

    from layers.print import fonts
    from parks.catalog import Catalog, ensure_data
    from web import (
        actuals,
        admin,
        api,
        assets,
        auth,
        basemap,
        check_batch,
        cli,
        data,
        errors,
        export,
        i18n,
        indicators,
        input_guards,
        limits,
        ogc,
        ogc_tiles,
        ops,
        pages,
        quota,
        request_log,
        security,
        survey,
        tiles,
    )

    instance = os.environ.get("SEI_ATLAS_INSTANCE_PATH")  # runtime data; default: Flask's
    app = Flask(__name__, instance_path=os.path.abspath(instance) if instance else None,
                instance_relative_config=True, template_folder=shipped("templates"),
                static_folder=shipped("static"))
    _configure(app, test_config)

    # Start-up work, in order; every step is safe to repeat on each start.
    ensure_data(app.config["DATA_DIR"])  # the default layers, built if neither shipped nor built
    app.extensions["atlas_catalog"] = Catalog(app.config["DATA_DIR"])
    db = auth.init_database(app)  # missing tables and added columns (nothing dropped)
    ops.recover_interrupted_imports(app, db)  # only imports killed between swap and commit
    tiles.init_service(app)  # vector tiles: embedded MBTiles, or PostGIS when configured
    admin.pick_up_dropped_layers(app, db)  # files dropped into DATA_DIR/shapefiles/
    quota.sync_ledger_at_start(app)  # a ledger row for every park and zone
    ogc.init_service(app)
    fonts.register()  # the PDF font as TrueType, converted on a machine's first start (~40 s)

    # Request handling. Order matters: after_request hooks run last-registered first, so
    # compression (registered first) sees the page after the CSP nonces were added; the int
    # converter of input_guards must precede the routes.
    Compress(app)
    ops.trust_proxies(app)
    for setup in (request_log.init_app, input_guards.init_app, security.init_app, limits.init_app,
                  i18n.init_app, errors.init_app, auth.init_login, pages.init_templates):
        setup(app)

    for blueprint in (ops.bp, assets.bp, api.bp, indicators.api, pages.bp, auth.bp, quota.bp, quota.api,
                      actuals.bp, actuals.api, export.bp, export.api_bp, ogc.bp, ogc_tiles.bp, data.bp,
                      admin.bp, basemap.bp, survey.api,
                      tiles.bp):  # basemap's static routes before tiles' /tiles/<layer>
        app.register_blueprint(blueprint)
    # API writes are checked by protect_api (CSRF for cookies only)
    for api_bp in (quota.api, actuals.api, survey.api):
        auth.csrf.exempt(api_bp)

    for command in (cli.build_data_command, cli.sources_cli, auth.users_cli, data.layer_cli,
                    export.export_cli, admin.import_layer_command, admin.layer_versions_command,
                    admin.restore_layer_command, ops.backup_command, ops.restore_command,
                    tiles.tiles_cli, check_batch.check_parcels_command, survey.survey_cli,
                    survey.supply_cli):
        app.cli.add_command(command)
    survey.survey_cli.add_command(indicators.indicators_command)  # flask survey indicators
    app.jinja_env.globals["nav_links"] = lambda: NAVIGATION
    return app


def production_app(test_config: dict | None = None) -> Flask:
    """The app for a production WSGI server (``scripts/serve-production.sh``); exits with a
    message when a setting is unsafe (:mod:`web.production`)."""
    from web import production

    return production.checked(create_app(test_config))


def cli():
    """Console entry point `sei-atlas …`: the Flask CLI bound to this app."""
    from flask.cli import FlaskGroup

    FlaskGroup(create_app=create_app)()


if __name__ == "__main__":
    create_app().run(host=os.environ.get("SEI_ATLAS_HOST", "127.0.0.1"),
                     port=int(os.environ.get("SEI_ATLAS_PORT", "5000")))
