"""The offline basemap's vector tiles (issue 13): ``/tiles/basemap.json`` (TileJSON 3.0.0) and
``/tiles/basemap/{z}/{x}/{y}.mvt`` with source layers ``places``, ``rivers``, ``lakes`` and
``boundaries``, served from the embedded store whatever ``VECTOR_TILE_ENGINE`` is
(:mod:`layers.tiles.basemap`). These static routes take precedence over ``/tiles/<layer>…``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from layers.tiles.basemap import LAYER, BasemapStore, tilejson
from layers.web.basemap import BasemapSpec
from web.context import catalog
from web.i18n import current_lang
from web.tile_response import mvt_response

bp = Blueprint("basemap", __name__)
STORE = "atlas_basemap"


def store() -> BasemapStore:
    found = current_app.extensions.get(STORE)
    if found is None or found.catalog is not catalog():
        found = current_app.extensions[STORE] = BasemapStore(catalog())
    return found


def _tiles_url(version: str, *, external: bool) -> str:
    url = url_for("basemap.tile", z=0, x=0, y=0, v=version, _external=external)
    return url.replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt", 1)


def basemap_spec() -> BasemapSpec:
    """Where this request's pages find the basemap (for :func:`layers.web.basemap.add_basemap`);
    builds its tiles if need be."""
    version, meta = store().served()
    protomaps = url_for("static", filename="vendor/protomaps-leaflet/protomaps-leaflet.js")
    return BasemapSpec(tiles=_tiles_url(version, external=False), minzoom=meta["minzoom"],
                       maxzoom=meta["maxzoom"],
                       bounds=tuple(meta["bounds"]), protomaps_js=protomaps,
                       basemap_js=url_for("static", filename="js/atlas-basemap.js"))


@bp.get("/tiles/basemap.json")
def tilejson_doc():
    version, meta = store().served()
    response = jsonify(tilejson(version, meta, tiles_url=_tiles_url(version, external=True),
                                lang=current_lang()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/tiles/basemap/<int:z>/<int:x>/<int:y>.mvt")
def tile(z: int, x: int, y: int):
    basemap = store()
    version = request.args.get("v") or basemap.served()[0]
    return mvt_response(f"{LAYER}-{version}-{z}-{x}-{y}", lambda: basemap.tile(version, z, x, y))
