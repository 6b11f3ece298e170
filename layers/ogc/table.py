"""A collection's features held for paging: columns and envelopes built once per data version.

A page is found by slicing (no filter), the features' envelopes (bbox: those whose envelope lies
inside are in, only those crossing its edge are read and tested), vectorised masks (property
equality) and a cached sort rank (sortby); only the features on the page are read and turned
into GeoJSON. A deep page of a large collection therefore costs about what the first page
costs, not a walk over every feature. A small collection is held as a frame; a big thematic
layer is never loaded whole (:meth:`FeatureTable.from_catalog`): its columns are read only when
a filter or sort names them, and a page reads its features by position.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import CGCS2000, is_geographic_cgcs2000_like, transform_geoms
from geo.crs_ogc import lonlat_like, to_axis_order
from geo.geom_types import GEOJSON_TYPES, type_names
from parks.catalog import Catalog

#: decimals kept in served coordinates: ~1 cm in degrees, 1 mm in metres
DEGREE_DECIMALS = 7
METRE_DECIMALS = 3
#: sort orders kept per table (one per distinct ``sortby``)
SORT_ORDERS_KEPT = 16
_MULTI = {"Point": ("MultiPoint", shapely.multipoints),
          "LineString": ("MultiLineString", shapely.multilinestrings),
          "Polygon": ("MultiPolygon", shapely.multipolygons)}


def one_geometry_type(present: set[str]) -> tuple[str | None, str | None]:
    """The GeoJSON type every geometry is served as (None when kinds are mixed), and the single
    type lifted to it (None: none is).

    Where single and multi parts of one kind are mixed (counties: polygons and multipolygons)
    the single ones become one-part multis, so the type a client reads from the first page
    holds for every page.
    """
    for single, (multi, _) in _MULTI.items():
        if present == {single, multi}:
            return multi, single
    return (next(iter(present)) if len(present) == 1 else None), None


def _lift(geoms: np.ndarray, single: str) -> np.ndarray:
    """``geoms`` with every ``single`` geometry made a one-part multi."""
    type_ids = shapely.get_type_id(geoms)
    lift = np.array([GEOJSON_TYPES.get(t) == single for t in type_ids.tolist()], dtype=bool)
    geoms = geoms.copy()
    geoms[lift] = _MULTI[single][1](geoms[lift].reshape(-1, 1))
    return geoms


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
    """Features in CGCS2000 (x = longitude) by row (0 to ``count`` - 1), keyed by their
    ``id_field``: their envelopes, property names and kinds, a reader of a property column and a
    reader of the features at some rows."""

    count: int
    id_field: str
    bounds: np.ndarray  # (count, 4), NaN where a feature has no geometry
    geometry_type: str | None  # the GeoJSON type of every geometry; None when mixed
    lifted: str | None  # the single type served as ``geometry_type`` (a one-part multi)
    names: list[str]
    kinds: dict[str, str]
    column: Callable[[str], pd.Series]  # a property (or the id) column, every row in order
    read: Callable[[np.ndarray], gpd.GeoDataFrame]  # the features at these rows, in CGCS2000
    _orders: dict = field(default_factory=dict, repr=False)
    _orders_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_frame(cls, gdf: gpd.GeoDataFrame, id_field: str) -> FeatureTable:
        """A table held in memory (a small layer, a boundary level)."""
        if not is_geographic_cgcs2000_like(gdf.crs):
            gdf = gdf.to_crs(CGCS2000)
        gdf = gdf.reset_index(drop=True)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        geometry_type, lifted = one_geometry_type(type_names(geoms))
        return cls(len(gdf), id_field, shapely.bounds(geoms), geometry_type, lifted,
                   *_names_and_kinds(gdf, id_field), column=gdf.__getitem__,
                   read=lambda rows: gdf.iloc[rows])

    @classmethod
    def from_catalog(cls, catalog: Catalog, name: str, id_field: str) -> FeatureTable:
        """Thematic layer ``name`` read light (a big layer): envelopes and geometry types once,
        a property column when a filter or sort first names it (:meth:`Catalog.attributes`,
        kept by the catalog), the features of a page by position (:meth:`Catalog.features`)."""
        geometry_type, lifted = one_geometry_type(catalog.geometry_types(name))
        return cls(catalog.feature_count(name), id_field, catalog.bounds(name), geometry_type,
                   lifted, *_names_and_kinds(catalog.features(name, [0]), id_field),
                   column=lambda c: catalog.attributes(name, [c])[c],
                   read=lambda rows: catalog.features(name, rows))

    def __len__(self) -> int:
        return self.count

    def extent(self) -> list[float] | None:
        """[minx, miny, maxx, maxy] of all geometries, or None when none has one."""
        if np.isnan(self.bounds).all():
            return None
        return [float(np.nanmin(self.bounds[:, 0])), float(np.nanmin(self.bounds[:, 1])),
                float(np.nanmax(self.bounds[:, 2])), float(np.nanmax(self.bounds[:, 3]))]

    @cached_property
    def _ids(self) -> pd.Series:
        return self.column(self.id_field).astype(str)

    def row_of(self, fid: str) -> int | None:
        """The row of the feature whose id is ``fid`` (None: no such feature)."""
        rows = np.flatnonzero(np.asarray(self._ids == fid, dtype=bool))
        return int(rows[0]) if len(rows) else None

    def match(self, bbox=None, equals: dict | None = None) -> np.ndarray | None:
        """Row numbers, ascending, of features intersecting ``bbox`` (CGCS2000, x-first) and
        whose properties equal ``equals`` (name -> value of the column's type); None: all rows."""
        if bbox is None and not equals:
            return None
        rows = np.arange(len(self)) if bbox is None else self._intersecting(bbox)
        for name, value in (equals or {}).items():
            same = self.column(name).iloc[rows] == value
            rows = rows[np.asarray(same.fillna(False), dtype=bool)]
        return rows

    def _intersecting(self, bbox) -> np.ndarray:
        """Rows, ascending, whose geometry intersects ``bbox``: those whose envelope lies inside
        it, and those whose envelope crosses its edge and whose geometry, read and tested, meets it."""
        b, (west, south, east, north) = self.bounds, bbox
        with np.errstate(invalid="ignore"):
            meets = np.flatnonzero((b[:, 2] >= west) & (b[:, 0] <= east) & (b[:, 3] >= south)
                                   & (b[:, 1] <= north))
        m = b[meets]
        hit = (m[:, 0] >= west) & (m[:, 2] <= east) & (m[:, 1] >= south) & (m[:, 3] <= north)
        crossing = np.flatnonzero(~hit)
        if len(crossing):
            geoms = np.asarray(self.read(meets[crossing]).geometry.values, dtype=object)
            hit[crossing] = shapely.intersects(geoms, shapely.box(*bbox))
        return meets[hit]

    def order(self, keys: tuple[tuple[str, bool], ...]) -> np.ndarray:
        """The rank of every row under ``keys`` ((name, descending), first key first); missing
        values sort last either way, ties keep the stored order. Kept per distinct ``keys``."""
        rank = self._orders.get(keys)
        if rank is None:
            columns = []
            for name, descending in reversed(keys):  # np.lexsort: the last key is the primary
                codes, uniques = pd.factorize(self.column(name), sort=True)
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
        frame = self.read(np.asarray(rows, dtype=int))
        if geometry:
            geoms = np.asarray(frame.geometry.values, dtype=object)
            if self.lifted:
                geoms = _lift(geoms, self.lifted)
            if not lonlat_like(crs):
                geoms = transform_geoms(geoms, CGCS2000, crs)
                decimals = METRE_DECIMALS
            else:
                decimals = DEGREE_DECIMALS
            geoms = shapely.transform(to_axis_order(geoms, crs), lambda xy: np.round(xy, decimals))
            geojson = shapely.to_geojson(geoms).tolist()
        else:
            geojson = [None] * len(frame)
        return [f'{{"type":"Feature","id":{json.dumps(fid, ensure_ascii=False)},'
                f'"geometry":{geom or "null"},'
                f'"properties":{json.dumps(props, ensure_ascii=False, allow_nan=False)}}}'
                for (fid, props), geom in zip(self._records(frame, names), geojson, strict=True)]

    def records(self, rows, names: list[str] | None = None) -> list[tuple[str, dict]]:
        """(id, properties) of each of ``rows``: only the properties ``names`` (default all)."""
        return self._records(self.read(np.asarray(rows, dtype=int)), names)

    def _records(self, frame: gpd.GeoDataFrame, names: list[str] | None) -> list[tuple[str, dict]]:
        names = self.names if names is None else names
        values = {name: _plain(frame[name]) for name in names}
        ids = frame[self.id_field].astype(str).tolist()
        return [(fid, {name: values[name][i] for name in names}) for i, fid in enumerate(ids)]

def _names_and_kinds(gdf: gpd.GeoDataFrame, id_field: str) -> tuple[list[str], dict[str, str]]:
    """The property names of ``gdf`` (every column but its geometry and id) and their kinds."""
    props = gdf.drop(columns=[gdf.geometry.name, id_field])
    return list(props.columns), {c: _kind(props[c]) for c in props.columns}
