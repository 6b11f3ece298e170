"""Vector tiles and the feature API behind tiled layers (issue 10).

``/tiles/<layer>.json`` (TileJSON 3.0.0), ``/tiles/<layer>/{z}/{x}/{y}.mvt`` (Mapbox Vector
Tiles, gzip when accepted, 204 when empty, ETag and a year's cache for versioned URLs),
``/api/features/<layer>`` (search and filters) and ``/api/features/<layer>/<id>`` (one feature
with its popup), ``/api/jobs/<id>`` (tile builds; survey and supply imports, :mod:`web.survey`).
CLI: ``flask tiles build|status``.
"""

from __future__ import annotations

import threading

import click
from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask.cli import AppGroup, with_appcontext

from layers.tiles import jobs
from layers.tiles.service import TILE_LAYERS, make_service
from layers.tiles.tilejson import tilejson
from layers.web import features
from parks.catalog import THEMATIC
from web.api import limit_arg
from web.context import TILES, catalog, tiles
from web.i18n import current_lang
from web.pages import detail_url
from web.survey import import_job
from web.tile_response import mvt_response

bp = Blueprint("tiles", __name__)
FEATURE_LAYERS = tuple(info.name for info in THEMATIC)


def init_service(app) -> None:
    """The tile service of the app's catalog, on the configured engine; the layers drawn from
    tiles get their light reads (:meth:`parks.catalog.Catalog.prefetch`) in a background
    thread, so neither the first overview nor the first OGC API request waits for them."""
    service = app.extensions[TILES] = make_service(app.extensions["atlas_catalog"],
                                                   engine=app.config["VECTOR_TILE_ENGINE"],
                                                   database_url=app.config["DATABASE_URL"])
    big = [name for name in FEATURE_LAYERS if service.tiled_on_map(name)]
    if big:
        threading.Thread(target=_prefetch, args=(app, big), name="prefetch-layers", daemon=True).start()


def _prefetch(app, layers: list[str]) -> None:
    for name in layers:
        try:
            app.extensions["atlas_catalog"].prefetch(name)
        except Exception:  # a request reads it again, and says what is wrong
            app.logger.exception("reading %s ahead failed", name)


def tiles_url(layer: str, version: str) -> str:
    """The absolute tile URL template of ``layer`` at ``version`` (``{z}/{x}/{y}`` left open)."""
    url = url_for("tiles.tile", layer=layer, z=0, x=0, y=0, v=version, _external=True)
    return url.replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt", 1)


def tilejson_url(layer: str) -> str:
    return url_for("tiles.tilejson_doc", layer=layer)


@bp.get("/tiles/<layer>.json")
def tilejson_doc(layer: str):
    served = tiles().served(layer)
    response = jsonify(tilejson(served, tiles_url=tiles_url(layer, served.version), lang=current_lang()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/tiles/<layer>/<int:z>/<int:x>/<int:y>.mvt")
def tile(layer: str, z: int, x: int, y: int):
    service = tiles()
    version = request.args.get("v") or service.served(layer).version
    return mvt_response(f"{layer}-{version}-{z}-{x}-{y}", lambda: service.tile(layer, version, z, x, y))



def _feature_layer(layer: str) -> None:
    if layer not in FEATURE_LAYERS:
        abort(404)


@bp.get("/api/features/<layer>")
def search_features(layer: str):
    _feature_layer(layer)
    filters = {k: request.args.get(k, "") for k in ("city", "industry", "sector")}
    limit = limit_arg(20, features.MAX_RESULTS)
    q = request.args.get("q", "").strip()[:100]
    return jsonify(features.search(catalog(), layer, q=q, filters=filters, lang=current_lang(),
                                   limit=limit))


@bp.get("/api/features/<layer>/<fid>")
def get_feature(layer: str, fid: str):
    _feature_layer(layer)
    found = features.feature(catalog(), layer, fid, lang=current_lang(), detail_url=detail_url)
    if found is None:
        abort(404)
    return Response(current_app.json.dumps(found), mimetype="application/geo+json")


@bp.get("/api/jobs/<job_id>")
def job(job_id: str):
    state = import_job(job_id) or tiles().job(job_id)
    if state is None:
        abort(404)
    return jsonify(state)


tiles_cli = AppGroup("tiles", help="Vector tiles: build a layer's tiles, show builds.")


@tiles_cli.command("build")
@click.argument("layers", nargs=-1, type=click.Choice(TILE_LAYERS))
@click.option("--workers", default=2, show_default=True, help="Processes building zooms at once.")
@with_appcontext
def build_command(layers, workers):
    """Build the tiles of LAYERS (all when none given) for the versions served now."""
    service = tiles()
    for layer in layers or TILE_LAYERS:
        version = service.catalog.layer_version(layer)
        if service.engine.ready(layer, version):
            click.echo(f"{layer} {version}: built already")
            continue
        with click.progressbar(length=1, label=f"{layer} {version}") as bar:
            def progress(done, total, step, bar=bar):
                bar.length = total
                bar.update(done - bar.pos)
            meta = service.build(layer, version, workers=workers, progress=progress)
        click.echo(f"{layer}: {meta['features']} features, every one from z{meta['detail_minzoom']} to "
                   f"z{meta['maxzoom']} (maps over-zoom beyond)")


@tiles_cli.command("status")
@with_appcontext
def status_command():
    """The version each layer serves, and whether its tiles are built."""
    service = tiles()
    for layer in TILE_LAYERS:
        version = service.wanted_version(layer)
        job_state = service.job(jobs.job_id(layer, version)) or {"state": "not built"}
        click.echo(f"{layer}\t{version}\t{service.engine.name}\t{job_state['state']}")
