"""OGC API – Tiles (Part 1) over the atlas's vector tiles: the tile matrix set, the tilesets
of each collection and the tiles themselves (the same MVT tiles as ``/tiles/…``).

Only WebMercatorQuad is offered: it is the grid the tiles are built on, and what GDAL, QGIS and
every web map read.
"""

from __future__ import annotations

from functools import lru_cache

import morecantile

from layers.labels import tr
from layers.tiles.service import Served
from layers.tiles.tilejson import attribution, layer_title

TILES_CORE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
TMS_CONFORMANCE = [
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]
TILES_CONFORMANCE = [*TILES_CORE, *TMS_CONFORMANCE]
TMS_ID = "WebMercatorQuad"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILESET = "http://www.opengis.net/def/rel/ogc/1.0/tileset"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
MVT = "application/vnd.mapbox-vector-tile"
JSON = "application/json"
TILE_PATH = "{tileMatrix}/{tileRow}/{tileCol}"


@lru_cache(maxsize=1)
def _tms() -> morecantile.TileMatrixSet:
    return morecantile.tms.get(TMS_ID)


def tile_layer(cid: str) -> str:
    """The tile layer of an OGC collection (``boundaries-county`` → ``boundary_county``)."""
    return "boundary_" + cid.removeprefix("boundaries-") if cid.startswith("boundaries-") else cid


def _link(href: str, rel: str, type_: str, **extra) -> dict:
    return {"href": href, "rel": rel, "type": type_, **extra}


def tile_matrix_sets(base: str) -> dict:
    tms = _tms()
    return {"tileMatrixSets": [{"id": tms.id, "title": tms.title, "uri": str(tms.uri), "links": [
        _link(f"{base}/tileMatrixSets/{tms.id}", "self", JSON)]}]}


def tile_matrix_set(tms_id: str) -> dict | None:
    """The OGC 2D TileMatrixSet 2.0 JSON of ``tms_id`` (None unless it is the one offered)."""
    return _tms().model_dump(mode="json", exclude_none=True) if tms_id == TMS_ID else None


def _limits(meta: dict) -> list[dict]:
    west, south, east, north = meta["bounds"]
    limits = []
    for zoom in range(meta["minzoom"], meta["maxzoom"] + 1):
        upper_left, lower_right = _tms().tile(west, north, zoom), _tms().tile(east, south, zoom)
        limits.append({"tileMatrix": str(zoom), "minTileRow": upper_left.y, "maxTileRow": lower_right.y,
                       "minTileCol": upper_left.x, "maxTileCol": lower_right.x})
    return limits


def _tileset_links(base: str, cid: str, version: str) -> list[dict]:
    href = f"{base}/collections/{cid}/tiles/{TMS_ID}"
    return [_link(href, "self", JSON), _link(href, REL_TILESET, JSON),
            _link(f"{base}/tileMatrixSets/{TMS_ID}", REL_TILING_SCHEME, JSON),
            _link(f"{href}/{TILE_PATH}?v={version}", "item", MVT, templated=True)]


def tileset(base: str, cid: str, served: Served, lang: str) -> dict:
    """The tileset of collection ``cid`` on WebMercatorQuad, with the zooms and rows/cols
    that hold data and the MVT layers and their fields."""
    meta = served.meta
    return {
        "title": layer_title(served.layer, lang),
        "description": tr(lang, "矢量切片（Mapbox Vector Tile）", "Vector tiles (Mapbox Vector Tile)"),
        "attribution": attribution(served.layer, meta, lang),
        "dataType": "vector",
        "crs": _tms().model_dump(mode="json")["crs"],
        "tileMatrixSetURI": str(_tms().uri),
        "tileMatrixSetDefinition": f"{base}/tileMatrixSets/{TMS_ID}",
        "tileMatrixSetLimits": _limits(meta),
        "layers": [{"id": layer["id"], "dataType": "vector",
                    "minTileMatrix": str(layer["minzoom"]), "maxTileMatrix": str(layer["maxzoom"]),
                    "propertiesSchema": {"type": "object", "properties": {
                        name: {"type": {"Number": "number", "Boolean": "boolean"}.get(kind, "string")}
                        for name, kind in layer["fields"].items()}}}
                   for layer in meta["vector_layers"]],
        "links": _tileset_links(base, cid, served.version),
    }


def tilesets(base: str, cid: str, served: Served, lang: str) -> dict:
    """The list of the collection's tilesets (one: WebMercatorQuad)."""
    summary = {k: v for k, v in tileset(base, cid, served, lang).items()
               if k in ("title", "dataType", "crs", "tileMatrixSetURI", "tileMatrixSetDefinition", "links")}
    return {"tilesets": [summary],
            "links": [_link(f"{base}/collections/{cid}/tiles", "self", JSON),
                      _link(f"{base}/collections/{cid}", "collection", JSON)]}
