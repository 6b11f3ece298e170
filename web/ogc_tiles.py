"""OGC API – Tiles routes under ``/ogc`` (the documents are made by :mod:`layers.ogc.tiles`;
tiles come from the same service as ``/tiles/…``)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from layers.ogc import tiles as ogc_tiles
from web.context import tiles
from web.i18n import current_lang
from web.tiles import tile

bp = Blueprint("ogc_tiles", __name__, url_prefix="/ogc")


def _base() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


@bp.get("/tileMatrixSets")
def tile_matrix_sets():
    return jsonify(ogc_tiles.tile_matrix_sets(_base()))


@bp.get("/tileMatrixSets/<tms_id>")
def tile_matrix_set(tms_id: str):
    doc = ogc_tiles.tile_matrix_set(tms_id)
    if doc is None:
        abort(404)
    return jsonify(doc)


@bp.get("/collections/<cid>/tiles")
def tilesets(cid: str):
    served = tiles().served(ogc_tiles.tile_layer(cid))
    return jsonify(ogc_tiles.tilesets(_base(), cid, served, current_lang()))


@bp.get("/collections/<cid>/tiles/<tms_id>")
def tileset(cid: str, tms_id: str):
    if tms_id != ogc_tiles.TMS_ID:
        abort(404)
    served = tiles().served(ogc_tiles.tile_layer(cid))
    return jsonify(ogc_tiles.tileset(_base(), cid, served, current_lang()))


@bp.get("/collections/<cid>/tiles/<tms_id>/<int:tile_matrix>/<int:tile_row>/<int:tile_col>")
def ogc_tile(cid: str, tms_id: str, tile_matrix: int, tile_row: int, tile_col: int):
    if tms_id != ogc_tiles.TMS_ID:
        abort(404)
    return tile(ogc_tiles.tile_layer(cid), tile_matrix, tile_col, tile_row)
