"""The embedded tile engine: one MBTiles file per layer version, built by GDAL's MVT writer.

A build writes each zoom (or zoom range) with GDAL's MBTiles driver (through pyogrio) into a part
file, the zooms in parallel worker processes when asked, then copies the parts' tiles into
one file that is renamed into place when complete: a reader sees a whole tile set or none.
Tiles are stored gzip-compressed, as GDAL writes them, and served as they are.

With several workers, each detail zoom is also cut into as many ranges of tile columns, holding
about as many features each, so that every worker has a share of the costliest zoom (GDAL's MVT
writer runs on one core). A part is given the features that reach its columns or their tile
buffer, and the merge keeps only the part's own columns: the very tiles of a build in one piece.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.raw

from layers.tiles import rule
from layers.tiles.frame import tile_frame, tileset_metadata

#: GDAL's own limits set high: the thinning rule, not GDAL, decides what a tile holds
GDAL_OPTIONS = {"MAX_SIZE": "50000000", "MAX_FEATURES": "10000000", "BUFFER": "64"}
EXTENT = 4096  # GDAL's default: tile units a side (BUFFER is in them)

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Step:
    kind: str  # "detail" | "clusters"
    minzoom: int
    maxzoom: int
    #: the tile columns this step keeps (first, last), when a detail zoom is built in parts
    columns: tuple[int, int] | None = None
    part: str = ""  # "1/2": which part of its zoom, for progress

    @property
    def label(self) -> str:
        zooms = f"z{self.minzoom}" if self.minzoom == self.maxzoom else f"z{self.minzoom}–{self.maxzoom}"
        return f"{self.kind} {zooms}" + (f" ({self.part})" if self.part else "")

    def bbox(self) -> tuple[float, float, float, float] | None:
        """The Web Mercator box whose features reach this step's columns or their tile buffer."""
        if self.columns is None:
            return None
        margin = 2 * rule.HALF_WORLD_M / (1 << self.minzoom) * int(GDAL_OPTIONS["BUFFER"]) / EXTENT
        first, last = self.columns
        return (rule.column_edge(first, self.minzoom) - margin, -rule.HALF_WORLD_M,
                rule.column_edge(last + 1, self.minzoom) + margin, rule.HALF_WORLD_M)


def column_ranges(xy: np.ndarray, zoom: int, parts: int) -> list[tuple[int, int]]:
    """At most ``parts`` ranges of tile columns at ``zoom`` that cover the world and split the
    features (by anchor point) about equally."""
    columns = np.sort(rule.tile_columns(xy, zoom))
    cuts = np.unique(columns[[len(columns) * k // parts for k in range(1, parts)]]) if len(columns) else []
    edges = [0, *(int(c) for c in cuts if c > 0), 1 << zoom]
    return [(lo, hi - 1) for lo, hi in zip(edges, edges[1:], strict=False)]


def plan_steps(detail_zoom: int, maxzoom: int = rule.MAXZOOM, *, xy: np.ndarray | None = None,
               parts: int = 1) -> list[Step]:
    """Each detail zoom up to ``maxzoom`` (the data max zoom), cut into ``parts`` column ranges
    when asked (``xy``: the anchor points that balance them), then the cluster zooms one by one
    (each has its own grid): costliest first, for parallel builds."""
    if detail_zoom == rule.MINZOOM:  # a small layer: one GDAL run does every zoom
        return [Step("detail", rule.MINZOOM, maxzoom)]
    steps = []
    for z in range(maxzoom, detail_zoom - 1, -1):
        ranges = column_ranges(xy, z, parts) if parts > 1 else [None]
        steps += [Step("detail", z, z, columns, f"{i}/{len(ranges)}" if len(ranges) > 1 else "")
                  for i, columns in enumerate(ranges, 1)]
    return steps + [Step("clusters", z, z) for z in range(detail_zoom - 1, rule.MINZOOM - 1, -1)]


def _write_part(source: gpd.GeoDataFrame | str, path: str, layer: str, step: Step) -> str:
    """Write ``step``'s zooms of ``source`` into the MBTiles file ``path``. A worker process gets
    ``source`` as a file and streams it through GDAL in Arrow batches (only the features of the
    step's columns, if it has some): the same tiles as from a GeoDataFrame, without a copy of
    the whole layer in every worker (1M parcels, 2 workers: the build's peak memory 6.9 GB →
    3.3 GB)."""
    options = {**GDAL_OPTIONS, "MINZOOM": str(step.minzoom), "MAXZOOM": str(step.maxzoom)}
    if not isinstance(source, str):
        pyogrio.write_dataframe(source, path, driver="MBTiles", layer=layer, dataset_options=options)
        return path
    with pyogrio.raw.open_arrow(source, bbox=step.bbox(), use_pyarrow=False) as (meta, stream):
        pyogrio.raw.write_arrow(stream, path, driver="MBTiles", layer=layer,
                                geometry_name=meta["geometry_name"] or "wkb_geometry",
                                geometry_type=meta["geometry_type"], crs=meta["crs"],
                                encoding=meta["encoding"], dataset_options=options)
    return path


def build(gdf: gpd.GeoDataFrame, out: Path, *, layer: str, maxzoom: int = rule.MAXZOOM, workers: int = 1,
          progress: Progress | None = None) -> dict:
    """Build the tile set of ``gdf`` (source layer ``layer``) into ``out``; returns its metadata.

    Tiles stop at the data max zoom (:func:`layers.tiles.rule.data_maxzoom`, at most
    ``maxzoom``). ``workers`` > 1 builds zooms, and parts of each detail zoom, in that many
    processes. ``progress(done, total, label)`` is called after each step.
    """
    frame = tile_frame(gdf)
    xy = rule.anchor_points(frame)
    detail_zoom = rule.detail_minzoom(xy, maxzoom)
    data_maxzoom = rule.data_maxzoom(detail_zoom, maxzoom)
    steps = plan_steps(detail_zoom, data_maxzoom, xy=xy, parts=workers)
    report = progress or (lambda done, total, label: None)
    report(0, len(steps) + 1, "prepare")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".build-") as tmp:
        jobs = []
        source: gpd.GeoDataFrame | str = frame
        if workers > 1 and any(s.kind == "detail" for s in steps):
            source = str(Path(tmp) / "frame.fgb")  # handed to the worker processes
            pyogrio.write_dataframe(frame, source, driver="FlatGeobuf", SPATIAL_INDEX="NO")
        for i, step in enumerate(steps):
            part = str(Path(tmp) / f"part{i}.mbtiles")
            data = rule.clusters(xy, step.minzoom) if step.kind == "clusters" else source
            name = rule.CLUSTER_LAYER if step.kind == "clusters" else layer
            jobs.append((data, part, name, step))
        if workers > 1:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(_write_part, *job): job[3] for job in jobs}
                for done, future in enumerate(as_completed(futures), 1):
                    future.result()
                    report(done, len(steps) + 1, futures[future].label)
        else:
            for done, job in enumerate(jobs, 1):
                _write_part(*job)
                report(done, len(steps) + 1, job[3].label)
        meta = tileset_metadata(frame, layer, detail_zoom, data_maxzoom)
        staging = Path(tmp) / "tiles.mbtiles"
        _merge([(job[1], job[3].columns) for job in jobs], staging, meta)
        os.replace(staging, out)
    report(len(steps) + 1, len(steps) + 1, "done")
    return meta


def _merge(parts: list[tuple[str, tuple[int, int] | None]], out: Path, meta: dict) -> None:
    """One MBTiles file of the parts' tiles (of a part with columns, only those columns)."""
    with sqlite3.connect(out) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                   "tile_data BLOB, UNIQUE (zoom_level, tile_column, tile_row))")
        for part, columns in parts:
            first, last = columns or (0, -1)
            db.execute("ATTACH DATABASE ? AS part", (part,))
            db.execute("INSERT INTO tiles SELECT zoom_level, tile_column, tile_row, tile_data "
                       "FROM part.tiles WHERE ? OR tile_column BETWEEN ? AND ?",
                       (columns is None, first, last))
            db.commit()
            db.execute("DETACH DATABASE part")
        rows = {k: v for k, v in meta.items() if k not in ("vector_layers", "bounds", "geometry", "bases")}
        rows["bounds"] = ",".join(map(str, meta["bounds"]))
        rows["json"] = json.dumps({k: meta[k] for k in ("vector_layers", "geometry", "bases")},
                                  ensure_ascii=False)
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [(k, str(v)) for k, v in rows.items()])


class MBTiles:
    """Read-only access to one built tile set; safe to share between threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:  # versions never change once built: no locking needed
            db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The gzip-compressed tile at XYZ ``z/x/y``, or None when it holds nothing."""
        row = self._db().execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, (1 << z) - 1 - y)).fetchone()
        return row[0] if row else None

    def metadata(self) -> dict:
        rows = dict(self._db().execute("SELECT name, value FROM metadata").fetchall())
        extra = json.loads(rows.pop("json"))
        return {**rows, "minzoom": int(rows["minzoom"]), "maxzoom": int(rows["maxzoom"]),
                "detail_minzoom": int(rows["detail_minzoom"]), "features": int(rows["features"]),
                "bounds": [float(v) for v in rows["bounds"].split(",")], **extra}

    def size_bytes(self) -> int:
        return self.path.stat().st_size
