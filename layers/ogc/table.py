"""A collection's features held for paging: numpy columns built once per data version.

A page is found by slicing (no filter) or by a vectorised numpy mask (bbox, property
equality), and only the features on the page are turned into GeoJSON. A deep page of a large
collection therefore costs about what the first page costs, not a walk over every feature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import CGCS2000, is_geographic_cgcs2000_like, transform_geoms
from geo.crs_ogc import lonlat_like, to_axis_order

#: decimals kept in served coordinates: ~1 cm in degrees, 1 mm in metres
DEGREE_DECIMALS = 7
METRE_DECIMALS = 3


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    return "string"


def _plain(series: pd.Series) -> list:
    """The column as Python values, missing values as None (what json.dumps needs)."""
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
            for v in series.astype(object).tolist()]


@dataclass
class FeatureTable:
    """Features in CGCS2000 (x = longitude), keyed by ``ids``, with their property columns."""

    ids: np.ndarray
    geoms: np.ndarray
    bounds: np.ndarray
    names: list[str]
    kinds: dict[str, str]
    values: dict[str, list]
    arrays: dict[str, np.ndarray]
    rows_by_id: dict[str, int]

    @classmethod
    def from_frame(cls, gdf: gpd.GeoDataFrame, id_field: str) -> FeatureTable:
        if not is_geographic_cgcs2000_like(gdf.crs):
            gdf = gdf.to_crs(CGCS2000)
        props = gdf.drop(columns=[gdf.geometry.name, id_field])
        ids = gdf[id_field].astype(str).to_numpy(dtype=object)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        return cls(
            ids=ids, geoms=geoms, bounds=shapely.bounds(geoms), names=list(props.columns),
            kinds={c: _kind(props[c]) for c in props.columns},
            values={c: _plain(props[c]) for c in props.columns},
            arrays={c: props[c].to_numpy() for c in props.columns},
            rows_by_id={fid: i for i, fid in enumerate(ids)},
        )

    def __len__(self) -> int:
        return len(self.ids)

    def extent(self) -> list[float] | None:
        """[minx, miny, maxx, maxy] of all geometries, or None when none has one."""
        if np.isnan(self.bounds).all():
            return None
        return [float(np.nanmin(self.bounds[:, 0])), float(np.nanmin(self.bounds[:, 1])),
                float(np.nanmax(self.bounds[:, 2])), float(np.nanmax(self.bounds[:, 3]))]

    def match(self, bbox=None, equals: dict | None = None) -> np.ndarray | None:
        """Row numbers of features intersecting ``bbox`` (CGCS2000, x-first) and whose
        properties equal ``equals`` (name -> value of the column's type); None means all rows."""
        if bbox is None and not equals:
            return None
        mask = np.ones(len(self), dtype=bool)
        for name, value in (equals or {}).items():
            mask &= self.arrays[name] == value
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            b = self.bounds
            mask &= (b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)
            rows = np.flatnonzero(mask)
            hit = shapely.intersects(self.geoms[rows], shapely.box(minx, miny, maxx, maxy))
            return rows[hit]
        return np.flatnonzero(mask)

    def features(self, rows, crs) -> list[str]:
        """GeoJSON Feature strings for ``rows``, coordinates in ``crs`` and in its axis order."""
        rows = np.asarray(rows, dtype=int)
        geoms = self.geoms[rows]
        if not lonlat_like(crs):
            geoms = transform_geoms(geoms, CGCS2000, crs)
            decimals = METRE_DECIMALS
        else:
            decimals = DEGREE_DECIMALS
        geoms = shapely.transform(to_axis_order(geoms, crs), lambda xy: np.round(xy, decimals))
        geojson = shapely.to_geojson(geoms)
        out = []
        for row, geom in zip(rows.tolist(), geojson.tolist(), strict=True):
            props = self.properties(row)
            out.append(f'{{"type":"Feature","id":{json.dumps(self.ids[row], ensure_ascii=False)},'
                       f'"geometry":{geom or "null"},'
                       f'"properties":{json.dumps(props, ensure_ascii=False, allow_nan=False)}}}')
        return out

    def properties(self, row: int) -> dict:
        return {name: self.values[name][row] for name in self.names}
