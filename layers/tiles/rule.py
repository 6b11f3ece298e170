"""What a vector tile holds at each zoom: the thinning rule.

From a layer's *detail zoom* up every feature is in every tile it touches, with its id and the
attributes the map needs (:mod:`layers.tiles.frame`). The detail zoom is the lowest zoom at which no
tile would hold more than :data:`MAX_FEATURES_PER_TILE` features (a tile of that size still
draws in a few milliseconds). Below it, features are not dropped but *counted*: each tile is
cut into a grid of :data:`CELL_PX`-pixel cells, and every non-empty cell becomes one point at the
mean position of its features, carrying ``count`` (and ``label``, its text). The map draws those
as clusters with their counts, so every feature is accounted for at every zoom.

Detail tiles are built from the detail zoom up to the layer's *data max zoom* only
(:func:`data_maxzoom`); clients draw the zooms above it from those tiles, scaled up
("over-zoom"), as TileJSON's ``maxzoom`` tells them. A big layer stops at
:data:`DATA_MAXZOOM`: a z12 tile's 4096 units are ~2 m apart in Henan, finer than any parcel edge
anyone checks on a web map, and every zoom above it would cost as much GDAL work as the detail
zoom itself (1M parcels: about two CPU minutes a zoom). A small layer — one whose features
are all in its tiles from :data:`MINZOOM` — keeps every zoom to :data:`MAXZOOM`: they cost nothing.

Positions are representative points in Web Mercator metres (EPSG:3857).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

MINZOOM, MAXZOOM = 6, 14
#: where big layers' tiles stop (the map over-zooms them to MAXZOOM and beyond)
DATA_MAXZOOM = 12
#: boundaries fill every tile of the province: their tiles stop at this zoom and the map
#: over-zooms them (a z10 tile still resolves ~10 m), which keeps their build under a second
BOUNDARY_MAXZOOM = 10
MAX_FEATURES_PER_TILE = 1500
CELL_PX = 64
TILE_PX = 256
HALF_WORLD_M = 20037508.342789244  # half the Web Mercator world, metres
CLUSTER_LAYER = "clusters"


def anchor_points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """(n, 2) Web Mercator coordinates of a point on each feature (surface point of a polygon)."""
    geoms = gdf.to_crs(3857).geometry.values if gdf.crs and gdf.crs.to_epsg() != 3857 else gdf.geometry.values
    points = shapely.point_on_surface(np.asarray(geoms))
    return shapely.get_coordinates(points)


def _grid(values: np.ndarray, cells: int) -> np.ndarray:
    """Integer position of each of ``values`` (metres from the world's west or north edge) in a
    grid of ``cells`` across the world."""
    return np.clip((values // (2 * HALF_WORLD_M / cells)).astype(np.int64), 0, cells - 1)


def tile_columns(xy: np.ndarray, zoom: int) -> np.ndarray:
    """The tile column (XYZ ``x``) of each point at ``zoom``."""
    return _grid(xy[:, 0] + HALF_WORLD_M, 1 << zoom)


def column_edge(column: int, zoom: int) -> float:
    """The west edge of tile column ``column`` at ``zoom``, Web Mercator metres."""
    return column * 2 * HALF_WORLD_M / (1 << zoom) - HALF_WORLD_M


def _cell_index(xy: np.ndarray, zoom: int, cells_per_tile: int) -> np.ndarray:
    """Integer cell (column, row) of each point in a grid of ``cells_per_tile`` per tile side."""
    cells = (2 ** zoom) * cells_per_tile
    return _grid(xy[:, 0] + HALF_WORLD_M, cells) * cells + _grid(HALF_WORLD_M - xy[:, 1], cells)


def max_per_tile(xy: np.ndarray, zoom: int) -> int:
    """The most features any one tile holds at ``zoom`` (by anchor point)."""
    if not len(xy):
        return 0
    return int(np.unique(_cell_index(xy, zoom, 1), return_counts=True)[1].max())


def detail_minzoom(xy: np.ndarray, maxzoom: int = MAXZOOM) -> int:
    """The lowest zoom from which every feature goes into the tiles as it is."""
    for zoom in range(MINZOOM, maxzoom + 1):
        if max_per_tile(xy, zoom) <= MAX_FEATURES_PER_TILE:
            return zoom
    return maxzoom


def data_maxzoom(detail_zoom: int, maxzoom: int = MAXZOOM) -> int:
    """The highest zoom whose tiles are built: ``maxzoom`` for a small layer (every feature from
    :data:`MINZOOM`), else :data:`DATA_MAXZOOM` — or the detail zoom, when that is higher."""
    if detail_zoom == MINZOOM:
        return maxzoom
    return min(maxzoom, max(detail_zoom, DATA_MAXZOOM))


def clusters(xy: np.ndarray, zoom: int) -> gpd.GeoDataFrame:
    """The counted clusters of ``zoom``: one point per non-empty grid cell, at the mean position
    of its features, with ``count`` and its text ``label`` (EPSG:3857)."""
    keys = _cell_index(xy, zoom, TILE_PX // CELL_PX)
    frame = pd.DataFrame({"key": keys, "x": xy[:, 0], "y": xy[:, 1]})
    grouped = frame.groupby("key", sort=False).agg(x=("x", "mean"), y=("y", "mean"), count=("x", "size"))
    counts = grouped["count"].to_numpy(np.int64)
    return gpd.GeoDataFrame({"count": counts, "label": [f"{n:,}" for n in counts]},
                            geometry=shapely.points(grouped["x"].to_numpy(), grouped["y"].to_numpy()),
                            crs=3857)
