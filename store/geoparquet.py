"""GeoParquet files written batch by batch, and read by area.

A survey of a county is 10⁵–10⁶ patches: :class:`GeoParquetWriter` takes it a batch at a time
(never the whole layer in memory), sorts each batch along a Hilbert curve so a row group covers a
compact area, and writes GeoParquet 1.1 with a ``bbox`` covering column. :func:`read_geoparquet`
with a ``mask`` reads only the row groups whose boxes meet the mask's box (the reader filters on
the covering column) and then only the rows that intersect it. The file is written under a
temporary name and renamed into place when complete, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from geo.crs import CGCS2000, get_crs

#: rows per row group: small enough that an area read skips most of a county
ROW_GROUP_ROWS = 8192
BBOX = "bbox"


def _bbox_column(geoms: np.ndarray) -> pa.StructArray:
    b = shapely.bounds(geoms)
    return pa.StructArray.from_arrays([pa.array(b[:, i]) for i in range(4)],
                                      names=["xmin", "ymin", "xmax", "ymax"])


def _geo_metadata(types: list[str], bounds) -> bytes:
    column = {"encoding": "WKB", "geometry_types": types, "crs": get_crs(CGCS2000).to_json_dict(),
              "covering": {"bbox": {k: [BBOX, k] for k in ("xmin", "ymin", "xmax", "ymax")}}}
    if bounds is not None:
        column["bbox"] = [float(v) for v in bounds]
    return json.dumps({"version": "1.1.0", "primary_column": "geometry",
                       "columns": {"geometry": column}}).encode()


class GeoParquetWriter:
    """Write batches of (attribute table, CGCS2000 geometries) to ``path``, atomically.

    Use as a context manager: the file appears at ``path`` only when the block ends without an
    error; on an error the temporary file is removed and ``path`` is untouched.
    """

    def __init__(self, path: Path | str, geometry_types=("Polygon", "MultiPolygon")):
        self.path = Path(path)
        self.tmp = self.path.parent / f".{self.path.name}.{secrets.token_hex(4)}.tmp"
        self.types = list(geometry_types)
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._bounds: np.ndarray | None = None

    def __enter__(self) -> GeoParquetWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, attributes: pa.Table, geoms: np.ndarray) -> None:
        """Append one batch: ``attributes`` (no geometry) and its geometries, row for row."""
        if not len(geoms):
            return
        order = np.argsort(gpd.GeoSeries(geoms).hilbert_distance(
            total_bounds=shapely.total_bounds(geoms)).to_numpy(), kind="stable")
        geoms = geoms[order]
        table = attributes.take(pa.array(order)).append_column(
            "geometry", pa.array(shapely.to_wkb(geoms), type=pa.binary())).append_column(
            BBOX, _bbox_column(geoms))
        if self._writer is None:
            schema = table.schema.with_metadata({b"geo": _geo_metadata(self.types, None)})
            self._writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self._writer.write_table(table.cast(self._writer.schema), row_group_size=ROW_GROUP_ROWS)
        box = shapely.total_bounds(geoms)
        self._bounds = box if self._bounds is None else np.r_[
            np.minimum(self._bounds[:2], box[:2]), np.maximum(self._bounds[2:], box[2:])]
        self.rows += len(geoms)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._writer is not None:
            if exc_type is None:
                self._writer.add_key_value_metadata({"geo": _geo_metadata(self.types, self._bounds)})
            self._writer.close()
        if exc_type is not None or self._writer is None:
            self.tmp.unlink(missing_ok=True)
            if exc_type is None:
                raise ValueError("no rows were written")
            return
        with open(self.tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(self.tmp, self.path)


def read_geoparquet(path: Path | str, *, mask=None, columns=None) -> gpd.GeoDataFrame:
    """The rows of ``path`` (all, or those intersecting ``mask``, a CGCS2000 shapely geometry),
    with ``columns`` (all when None) and the geometry."""
    cols = None if columns is None else [c for c in columns if c not in ("geometry", BBOX)] + ["geometry"]
    bbox = tuple(float(v) for v in mask.bounds) if mask is not None else None
    gdf = gpd.read_parquet(path, columns=cols, bbox=bbox)
    gdf = gdf.drop(columns=[BBOX], errors="ignore").set_crs(CGCS2000, allow_override=True)
    if mask is not None and len(gdf):
        shapely.prepare(mask)  # a city's boundary has 10⁴ vertices: prepared, the test is ~50× faster
        gdf = gdf[shapely.intersects(mask, gdf.geometry.values)]
    return gdf.reset_index(drop=True)
