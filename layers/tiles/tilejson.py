"""TileJSON 3.0.0 documents (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0)."""

from __future__ import annotations

from layers.labels import tr
from layers.tiles import rule
from layers.tiles.service import BOUNDARY_LAYERS, Served
from parks import provenance as pv
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import LAYERS


def layer_title(layer: str, lang: str) -> str:
    if layer in BOUNDARY_LAYERS:
        info = LAYERS["boundaries"]
        return f"{tr(lang, info.title_zh, info.title_en)} · {layer.removeprefix('boundary_')}"
    info = LAYERS[layer]
    return tr(lang, info.title_zh, info.title_en)


def attribution(layer: str, meta: dict, lang: str) -> str:
    """What the layer is and on what basis: every tile set says where its geometry comes from."""
    if layer in BOUNDARY_LAYERS:
        return tr(lang, CREDIT_ZH, CREDIT_EN)
    bases = tr(lang, "、", ", ").join(tr(lang, *pv.LABELS.get(b, (b, b))) for b in meta.get("bases", []))
    basis = bases or tr(lang, "未注明", "not stated")
    title = layer_title(layer, lang)
    return tr(lang, f"{title}（依据：{basis}）", f"{title} (basis: {basis})")


def tilejson(served: Served, *, tiles_url: str, lang: str) -> dict:
    """``tiles_url`` is the tile URL template with ``{z}/{x}/{y}`` (the version in its query)."""
    meta = served.meta
    west, south, east, north = meta["bounds"]
    doc = {
        "tilejson": "3.0.0",
        "name": served.layer,
        "description": layer_title(served.layer, lang),
        "attribution": attribution(served.layer, meta, lang),
        "tiles": [tiles_url],
        "scheme": "xyz",
        "minzoom": rule.MINZOOM,
        "maxzoom": meta["maxzoom"],
        "bounds": [west, south, east, north],
        "center": [round((west + east) / 2, 6), round((south + north) / 2, 6), 7],
        "vector_layers": meta["vector_layers"],
        # beyond the spec: what the atlas's map needs to draw the layer honestly
        "atlas": {"version": served.version, "features": meta["features"],
                  "detail_minzoom": meta["detail_minzoom"], "geometry": meta["geometry"],
                  "bases": meta.get("bases", []), "cluster_layer": rule.CLUSTER_LAYER,
                  "building": served.building},
    }
    return doc
