"""Operations: health check, request logs, security headers and CSP, rate limits, the OpenAPI
description of the JSON API, and the ``backup`` / ``restore`` commands (issue 6).

:func:`init_app` wires the parts, each in its own module: :mod:`web.security` (headers, CSP
nonces, cookies, default-deny), :mod:`web.input_guards` (oversized ids, NUL characters),
:mod:`web.request_log` (JSON request lines), :mod:`web.limits` (sign-in and upload limits).
Production serving: :mod:`web.production`.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.cli import with_appcontext
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from parks import layer_schema
from store import backup as backups
from store.db import Database
from store.recovery import reconcile_layers
from web.auth import database
from web.context import catalog
from web.openapi import openapi

bp = Blueprint("ops", __name__)


#: app extension holding (data version, problems) of the layers last checked
LAYER_HEALTH = "atlas_layer_health"


def _layer_health() -> tuple[str, list[str]]:
    """(data version, what keeps the pages from using the served layers): the layers are read
    through the catalog and checked against their schema once per data version."""
    version = catalog().data_version()
    known = current_app.extensions.get(LAYER_HEALTH)
    if known is None or known[0] != version:
        known = current_app.extensions[LAYER_HEALTH] = (version, layer_schema.served_problems(catalog()))
    return known


@bp.get("/healthz")
def healthz():
    """200 when the app answers, its database runs ``SELECT 1`` and every served layer reads
    and holds the columns the pages use (``parks.layer_schema``); 503 otherwise."""
    checks = {}
    try:
        with database().engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
        checks["database"] = "ok"
    except Exception as exc:
        current_app.logger.error("health check: database unavailable: %s", exc)
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        version, problems = _layer_health()
        checks["layers"] = f"error: {'; '.join(problems[:3])}" if problems else "ok"
    except Exception as exc:  # a layer file missing or unreadable
        version, checks["layers"] = None, f"error: {type(exc).__name__}"
    if checks["layers"] != "ok":
        current_app.logger.error("health check: layers: %s", checks["layers"])
    healthy = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if healthy else "error", "checks": checks, "data_version": version,
            "database": database().engine.url.get_backend_name()}
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp, 200 if healthy else 503


@bp.get("/api/openapi.json")
def openapi_json():
    return jsonify(openapi(request.script_root + "/"))


# ----- CLI: flask backup / flask restore -------------------------------------------------------

def _data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path):
    """Back up the database and the layers folder to FILE (.tar.gz); safe while the app runs."""
    manifest = backups.backup(database().engine, _data_dir(), file)
    click.echo(f"backed up {manifest['database']['backend']} database and {_data_dir()} to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Restore without asking.")
@with_appcontext
def restore_command(file: Path, yes: bool):
    """Replace the database and the layers folder with the backup FILE (stop the server first)."""
    if not yes:
        click.confirm(f"Replace the database and {_data_dir()} with {file}? / 确认用备份覆盖当前数据？",
                      abort=True)
    try:
        manifest = backups.restore(database().engine, _data_dir(), file)
    except backups.BackupError as exc:
        raise click.ClickException(f"{exc.zh} / {exc.en}") from exc
    click.echo(f"restored the backup of {manifest['created_at']} from {file}")


def trust_proxies(app: Flask) -> None:
    """Honour X-Forwarded-* from the ``PROXY_FIX`` reverse proxies in front of the app."""
    if app.config.get("PROXY_FIX"):
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)


def recover_interrupted_imports(app: Flask, db: Database) -> None:
    """Start-up: roll back a layer import journaled as interrupted between its swap and its
    commit (nothing else is switched)."""
    with db.read() as session:
        for fix in reconcile_layers(app.config["DATA_DIR"], session):
            app.logger.warning("crash recovery: the interrupted import of layer %(layer)s (%(was)s) "
                               "never committed; switched back to %(now)s", fix)
