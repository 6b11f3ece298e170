"""What goes into a layer's tiles: the located features in Web Mercator with their short
attributes, and the metadata that describes the tile set (TileJSON's ``vector_layers``)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from layers.tiles import rule

#: columns never put into tiles: long texts a popup fetches from the feature API instead
LONG_TEXT_COLUMNS = ("evidence", "source", "prec_note")


def tile_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The located features of ``gdf`` in EPSG:3857 with the columns tiles carry (text as str)."""
    located = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    columns = [c for c in located.columns if c != located.geometry.name and c not in LONG_TEXT_COLUMNS]
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
