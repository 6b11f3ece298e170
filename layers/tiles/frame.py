"""What goes into a layer's tiles: the located features in Web Mercator with the fields the map
needs, and the metadata that describes the tile set (TileJSON's ``vector_layers``).

The rule: a tile carries only what the map draws, filters and picks with — see
:data:`MAP_FIELDS`. Everything else (figures, statuses, sources, evidence…) a click fetches from
the feature API (``/api/features/<layer>/<id>``) with the popup, and desktop GIS reads from OGC
API – Features. Every field in a tile is paid for in every tile at every zoom (1M parcels at
z14: 33 → 19 CPU s and a 47 → 20 MB store with the map's fields alone). Both engines build their
tiles from :func:`tile_frame`, so they carry the same fields, and TileJSON lists exactly them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from layers.tiles import rule

#: the columns tiles carry (those a layer has), by what the map does with them
MAP_FIELDS = (
    "id", "adcode",  # which feature: the popup's /api/features/<layer>/<id>; a boundary's code
    "name_zh", "name_en",  # what it is called, for desktop GIS and labels
    "geom_basis", "loc_prec", "kind", "level",  # style: dashed schematic outlines, marker by
    # precision, candidate parks, boundary level
    "city", "f_ind", "sector_zh",  # the map's city, industry and sector filters (sector: colour)
    "fictional",  # test and benchmark layers say they are fictional wherever they go
)


def tile_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The located features of ``gdf`` in EPSG:3857 with the columns tiles carry (text as str)."""
    located = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    columns = [c for c in MAP_FIELDS if c in located.columns and c != located.geometry.name]
    frame = located[columns].copy()
    for column in columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].fillna("").astype(str)
        elif frame[column].dtype == bool:
            frame[column] = frame[column].astype(np.int8)
    return gpd.GeoDataFrame(frame, geometry=located.geometry.to_crs(3857).values, crs=3857)


def field_types(frame: gpd.GeoDataFrame) -> dict[str, str]:
    kinds = {"i": "Number", "u": "Number", "f": "Number", "b": "Boolean"}
    return {c: kinds.get(frame[c].dtype.kind, "String") for c in frame.columns if c != frame.geometry.name}


def tileset_metadata(frame: gpd.GeoDataFrame, layer: str, detail_zoom: int, maxzoom: int) -> dict:
    bounds = frame.to_crs(4326).total_bounds.round(6).tolist() if len(frame) else [0, 0, 0, 0]
    layers = [{"id": layer, "fields": field_types(frame), "minzoom": detail_zoom, "maxzoom": maxzoom}]
    if detail_zoom > rule.MINZOOM:
        layers.insert(0, {"id": rule.CLUSTER_LAYER, "fields": {"count": "Number", "label": "String"},
                          "minzoom": rule.MINZOOM, "maxzoom": detail_zoom - 1})
    return {"name": layer, "format": "pbf", "scheme": "tms", "type": "overlay",
            "minzoom": rule.MINZOOM, "maxzoom": maxzoom, "detail_minzoom": detail_zoom,
            "features": len(frame), "bounds": bounds, "vector_layers": layers,
            "geometry": sorted(set(frame.geom_type)) if len(frame) else [],
            "bases": sorted(set(frame["geom_basis"])) if "geom_basis" in frame else []}
