"""Fictional layers of real size, for benchmarks and tests only: project registers of points and
land-supply-sized parcels, placed at random inside Henan's boundary.

Every feature is named 虚构/fictional and carries ``fictional = 1``, so the map, popups and every
export show that it is fictional (sheets are watermarked). They are installed as an imported layer
version (:func:`install_layer`), the way an import swaps a layer in, but only ever into a
throwaway data folder.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from parks.catalog import Catalog
from store import layer_versions as lv


def points_in_henan(catalog: Catalog, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` (lon, lat) points uniformly at random inside the province boundary."""
    province = shapely.union_all(catalog.boundaries("province", 0).geometry.values)
    shapely.prepare(province)
    west, south, east, north = province.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        batch = np.column_stack([rng.uniform(west, east, 2 * n), rng.uniform(south, north, 2 * n)])
        found = np.vstack([found, batch[shapely.contains_xy(province, batch[:, 0], batch[:, 1])]])
    return found[:n]


def _fictional_rows(catalog: Catalog, layer: str, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """``n`` rows shaped like ``layer`` (its columns, values drawn from its rows), renamed fictional."""
    template = catalog.layer(layer)
    template = template[template.geometry.notna()].drop(columns=["evidence", "source", "prec_note"])
    rows = template.iloc[rng.integers(0, len(template), n)].reset_index(drop=True)
    rows["id"] = [f"fict-{i:07d}" for i in range(n)]
    rows["name_zh"] = [f"（虚构）{layer} {i}" for i in range(n)]
    rows["name_en"] = [f"(fictional) {layer} {i}" for i in range(n)]
    # no figure of a real row may travel with a fictional one: values empty, their basis "none"
    figures = [c for c in rows.columns if rows[c].dtype.kind in "if" and c not in ("lon", "lat", "src_id")]
    rows[figures] = np.nan
    rows[[c for c in rows.columns if c.endswith("_basis")]] = "none"
    rows["src_id"] = 0
    rows["geom_basis"] = "user"
    rows["fictional"] = 1
    return rows


def fictional_points(catalog: Catalog, layer: str, n: int, *, seed: int = 2012) -> gpd.GeoDataFrame:
    """A fictional register of ``n`` points shaped like ``layer`` (e.g. ``projects``)."""
    rng = np.random.default_rng(seed)
    rows = _fictional_rows(catalog, layer, n, rng)
    xy = points_in_henan(catalog, n, rng)
    rows["lon"], rows["lat"] = xy[:, 0].round(6), xy[:, 1].round(6)
    return gpd.GeoDataFrame(rows.drop(columns="geometry"), geometry=shapely.points(xy),
                            crs=catalog.layer(layer).crs)


def fictional_parcels(catalog: Catalog, layer: str, n: int, *, seed: int = 2012) -> gpd.GeoDataFrame:
    """``n`` fictional parcels of 1–10 公顷 (squares 100–320 m a side) shaped like a polygon
    ``layer`` (e.g. ``zones``)."""
    rng = np.random.default_rng(seed)
    rows = _fictional_rows(catalog, layer, n, rng)
    xy = points_in_henan(catalog, n, rng)
    half_side_deg = rng.uniform(50, 160, n) / 111_000
    boxes = shapely.box(xy[:, 0] - half_side_deg, xy[:, 1] - half_side_deg,
                        xy[:, 0] + half_side_deg, xy[:, 1] + half_side_deg)
    rows["lon"], rows["lat"] = xy[:, 0].round(6), xy[:, 1].round(6)
    return gpd.GeoDataFrame(rows.drop(columns="geometry"), geometry=boxes, crs=catalog.layer(layer).crs)


def install_layer(data_dir: Path, layer: str, gdf: gpd.GeoDataFrame) -> str:
    """Serve ``gdf`` as ``layer`` from the (throwaway) ``data_dir``: a new layer version,
    switched to, as a committed import leaves it. Returns the version."""
    version = lv.write_version(data_dir, layer, gdf, {"basis": "user", "file": "synthetic (fictional)",
                                                      "fictional": True})
    lv.switch(data_dir, layer, version)
    return version
