"""A collection's features held for paging: numpy columns built once per data version.

A page is found by slicing (no filter), a spatial index (bbox), vectorised numpy masks
(property equality) and a cached sort rank (sortby), and only the features on the page are
turned into GeoJSON. A deep page of a large collection therefore costs about what the first
page costs, not a walk over every feature.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import CGCS2000, is_geographic_cgcs2000_like, transform_geoms
from geo.crs_ogc import lonlat_like, to_axis_order

#: decimals kept in served coordinates: ~1 cm in degrees, 1 mm in metres
DEGREE_DECIMALS = 7
METRE_DECIMALS = 3
#: sort orders kept per table (one per distinct ``sortby``)
SORT_ORDERS_KEPT = 16
#: shapely type id -> GeoJSON type
_GEOJSON_TYPES = {0: "Point", 1: "LineString", 2: "LineString", 3: "Polygon", 4: "MultiPoint",
                  5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
_MULTI = {"Point": ("MultiPoint", shapely.multipoints),
          "LineString": ("MultiLineString", shapely.multilinestrings),
          "Polygon": ("MultiPolygon", shapely.multipolygons)}


def one_geometry_type(geoms: np.ndarray) -> tuple[np.ndarray, str | None]:
    """The geometries under one GeoJSON type, and that type (None when kinds are mixed).

    Where single and multi parts of one kind are mixed (counties: polygons and multipolygons)
    the single ones become one-part multis, so the type a client reads from the first page
    holds for every page.
    """
    type_ids = shapely.get_type_id(geoms)
    names = np.array([_GEOJSON_TYPES.get(t) for t in type_ids.tolist()], dtype=object)
    present = set(names[type_ids >= 0].tolist())
    for single, (multi, build) in _MULTI.items():
        if present == {single, multi}:
            lift = names == single
            geoms = geoms.copy()
            geoms[lift] = build(geoms[lift].reshape(-1, 1))
            return geoms, multi
    return geoms, present.pop() if len(present) == 1 else None


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
    geometry_type: str | None  # the GeoJSON type of every geometry; None when mixed
    bounds: np.ndarray
    names: list[str]
    kinds: dict[str, str]
    values: dict[str, list]
    arrays: dict[str, np.ndarray]
    rows_by_id: dict[str, int]
    _orders: dict = field(default_factory=dict, repr=False)
    _orders_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_frame(cls, gdf: gpd.GeoDataFrame, id_field: str) -> FeatureTable:
        if not is_geographic_cgcs2000_like(gdf.crs):
            gdf = gdf.to_crs(CGCS2000)
        props = gdf.drop(columns=[gdf.geometry.name, id_field])
        ids = gdf[id_field].astype(str).to_numpy(dtype=object)
        geoms, geometry_type = one_geometry_type(np.asarray(gdf.geometry.values, dtype=object))
        return cls(
            ids=ids, geoms=geoms, geometry_type=geometry_type, bounds=shapely.bounds(geoms),
            names=list(props.columns),
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

    @cached_property
    def tree(self) -> shapely.STRtree:
        """A spatial index of the geometries, built on the first ``bbox`` request."""
        return shapely.STRtree(self.geoms)

    def match(self, bbox=None, equals: dict | None = None) -> np.ndarray | None:
        """Row numbers, ascending, of features intersecting ``bbox`` (CGCS2000, x-first) and
        whose properties equal ``equals`` (name -> value of the column's type); None: all rows."""
        if bbox is None and not equals:
            return None
        if bbox is None:
            rows = np.arange(len(self))
        else:
            rows = np.sort(self.tree.query(shapely.box(*bbox), predicate="intersects"))
        for name, value in (equals or {}).items():
            rows = rows[self.arrays[name][rows] == value]
        return rows

    def order(self, keys: tuple[tuple[str, bool], ...]) -> np.ndarray:
        """The rank of every row under ``keys`` ((name, descending), first key first); missing
        values sort last either way, ties keep the stored order. Kept per distinct ``keys``."""
        rank = self._orders.get(keys)
        if rank is None:
            columns = []
            for name, descending in reversed(keys):  # np.lexsort: the last key is the primary
                codes, uniques = pd.factorize(pd.Series(self.arrays[name]), sort=True)
                codes = np.where(codes < 0, len(uniques),
                                 len(uniques) - 1 - codes if descending else codes)
                columns.append(codes)
            rank = np.empty(len(self), dtype=np.int64)
            rank[np.lexsort(columns)] = np.arange(len(self))
            with self._orders_lock:
                if len(self._orders) >= SORT_ORDERS_KEPT:
                    self._orders.pop(next(iter(self._orders)))
                self._orders[keys] = rank
        return rank

    def features(self, rows, crs, *, names: list[str] | None = None,
                 geometry: bool = True) -> list[str]:
        """GeoJSON Feature strings for ``rows``, coordinates in ``crs`` and in its axis order;
        only the properties ``names`` (default all), and a null geometry unless ``geometry``."""
        rows = np.asarray(rows, dtype=int)
        if geometry:
            geoms = self.geoms[rows]
            if not lonlat_like(crs):
                geoms = transform_geoms(geoms, CGCS2000, crs)
                decimals = METRE_DECIMALS
            else:
                decimals = DEGREE_DECIMALS
            geoms = shapely.transform(to_axis_order(geoms, crs), lambda xy: np.round(xy, decimals))
            geojson = shapely.to_geojson(geoms).tolist()
        else:
            geojson = [None] * len(rows)
        out = []
        for row, geom in zip(rows.tolist(), geojson, strict=True):
            props = self.properties(row, names)
            out.append(f'{{"type":"Feature","id":{json.dumps(self.ids[row], ensure_ascii=False)},'
                       f'"geometry":{geom or "null"},'
                       f'"properties":{json.dumps(props, ensure_ascii=False, allow_nan=False)}}}')
        return out

    def properties(self, row: int, names: list[str] | None = None) -> dict:
        return {name: self.values[name][row] for name in (self.names if names is None else names)}
