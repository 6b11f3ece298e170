"""Shapefile records read straight from the file: checking each against the index, so a
damaged record is reported, never dropped as an empty one; each record's bounds; the geometry
types its records' headers settle.

GDAL reads a record whose shape type or part/point counts make no sense as a feature without a
geometry, and never looks at a record's bounding box: either would pass for an empty feature
and vanish from a check. :func:`damaged_records` reads the ``.shx`` index and each record's
header from the ``.shp`` (vectorised, memory-mapped) and names every record that cannot be
trusted, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import shapely

HEADER = 100
NULL = 0
#: shape types whose records carry a bounding box (all but points and null), and the point types
WITH_BOX = (3, 5, 8, 13, 15, 18, 23, 25, 28, 31)
POINTS = (1, 11, 21)
#: the other shape types by kind (plain, M, Z), but multipatches (3-D patches, never served)
LINES, POLYGONS, MULTIPOINTS = (3, 13, 23), (5, 15, 25), (8, 18, 28)
#: what GDAL reads a polygon record of several rings as: its rings' orientation and nesting decide
SEVERAL_RINGS = frozenset({"Polygon", "MultiPolygon"})
#: records gathered at a time (bounds the index arrays :func:`_gather` builds, and the part of
#: the file mapped at once: :func:`_record_chunks`)
CHUNK = 65_536
#: the bytes of a record the header reads look at: record header, shape type, box, part count
RECORD_HEAD = 48
#: how far (relative to the coordinates) a geometry may lie outside its record's box: rounding
BOX_SLACK = 1e-9

UNREADABLE = ("记录已损坏（形状类型或点数无效），无法读取其几何图形",
              "the record is damaged (invalid shape type or point count) and its geometry "
              "cannot be read")
OUTSIDE_FILE = ("记录超出文件末尾（文件不完整）",
                "the record runs past the end of the file (the file is cut short)")
BAD_BOX = ("记录的外包框已损坏，或与其坐标不符",
           "the record's bounding box is damaged or does not match its coordinates")


def _gather(data: np.ndarray, starts: np.ndarray, width: int, dtype: str) -> np.ndarray:
    """The ``width`` bytes at each of ``starts`` in ``data``, read as ``dtype`` (one row each)."""
    return data[starts[:, None] + np.arange(width)].copy().view(dtype)


def _record_index(shp: Path) -> tuple[np.ndarray, np.ndarray]:
    """Byte offset and content length of each record of ``shp``, from its ``.shx`` index."""
    index = np.fromfile(Path(shp).with_suffix(".shx"), dtype=np.uint8)
    n = max((len(index) - HEADER) // 8, 0)
    entries = index[HEADER:HEADER + 8 * n].view(">i4").reshape(n, 2).astype(np.int64) * 2
    return entries[:, 0], entries[:, 1]


def _record_chunks(shp: Path, offsets: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Each :data:`CHUNK` of the records of ``shp`` at ``offsets``: its first record number, the
    part of the file its records start in (memory-mapped while the chunk is read: the pages read
    leave the process's resident memory with it, where a whole mapped file would stay, its size
    again) and their byte offsets in that part."""
    size = Path(shp).stat().st_size
    for start in range(0, len(offsets), CHUNK):
        at = offsets[start:start + CHUNK]
        first, end = int(at.min()), min(int(at.max()) + RECORD_HEAD, size)
        yield start, np.memmap(shp, dtype=np.uint8, mode="r", offset=first, shape=(end - first,)), at - first


def record_bounds(shp: Path) -> np.ndarray:
    """(n, 4) bounds of every record of ``shp`` in file order, NaN for a null record: a point's
    coordinates, or the box every other record carries. What ``pyogrio.read_bounds`` gives,
    without parsing each shape (a million records in a fraction of a second, not seconds).
    For files an import has checked (:func:`damaged_records`)."""
    offsets, _ = _record_index(shp)
    bounds = np.full((len(offsets), 4), np.nan)
    for start, data, at in _record_chunks(shp, offsets):
        types = _gather(data, at + 8, 4, "<i4").ravel()
        block = bounds[start:start + len(at)]  # a view: filled in place
        points, boxed = np.isin(types, POINTS), np.isin(types, WITH_BOX)
        xy = _gather(data, at[points] + 12, 16, "<f8")
        block[points] = np.hstack([xy, xy])
        block[boxed] = _gather(data, at[boxed] + 12, 32, "<f8")
    return bounds


def record_geometry_types(shp: Path) -> tuple[set[str], np.ndarray]:
    """The geometry types (GeoJSON names) GDAL reads from the records of ``shp`` whose headers
    settle them, and the record numbers of those whose headers do not: the polygons of several
    rings (each one of :data:`SEVERAL_RINGS`). As GDAL's ``SHPReadOGRObject`` reads them: a
    point record is a Point, a multipoint of any points a MultiPoint, a line of one part a
    LineString and of more a MultiLineString, a polygon of one ring a Polygon; a null record, or
    one of no parts, has no geometry. A record's shape type and its count of parts (points, for a
    multipoint) are read vectorised, as :func:`record_bounds` reads its box; for files an import
    has checked (:func:`damaged_records`)."""
    offsets, _ = _record_index(shp)
    found, unsettled = set(), [np.empty(0, dtype=np.int64)]
    for start, data, at in _record_chunks(shp, offsets):
        types = _gather(data, at + 8, 4, "<i4").ravel()
        parts = np.zeros(len(at), dtype=np.int32)
        boxed = np.isin(types, WITH_BOX)
        parts[boxed] = _gather(data, at[boxed] + 44, 4, "<i4").ravel()
        lines, polygons = np.isin(types, LINES), np.isin(types, POLYGONS)
        settled = {"Point": np.isin(types, POINTS), "MultiPoint": np.isin(types, MULTIPOINTS) & (parts > 0),
                   "LineString": lines & (parts == 1), "MultiLineString": lines & (parts > 1),
                   "Polygon": polygons & (parts == 1)}
        found |= {name for name, records in settled.items() if records.any()}
        unsettled.append(start + np.flatnonzero(polygons & (parts > 1)))
    return found, np.concatenate(unsettled)


def damaged_records(shp: Path, geoms) -> dict[int, tuple[str, str]]:
    """{0-based record number: (中文, English) reason} for the records of ``shp`` that cannot be
    read as written. ``geoms`` are the geometries GDAL read from it, in record order (None where
    it could not read one), in the file's own coordinates."""
    offsets, lengths = _record_index(shp)
    geoms = np.asarray(geoms, dtype=object)
    if not len(offsets) or len(offsets) != len(geoms):
        return {}
    data = np.memmap(shp, dtype=np.uint8, mode="r")
    file_type = int(data[32:36].view("<i4")[0]) if len(data) >= HEADER else NULL

    damaged: dict[int, tuple[str, str]] = {}
    inside = (offsets >= HEADER) & (offsets + 8 + np.maximum(lengths, 4) <= len(data))
    for i in np.flatnonzero(~inside):
        damaged[int(i)] = OUTSIDE_FILE
    rows = np.flatnonzero(inside)
    types = _gather(data, offsets[rows] + 8, 4, "<i4").ravel()
    missing = shapely.is_missing(geoms[rows])
    for i in rows[((types != NULL) & (types != file_type)) | (missing & (types != NULL))]:
        damaged.setdefault(int(i), UNREADABLE)
    boxed = rows[np.isin(types, WITH_BOX) & ~missing & (lengths[rows] >= 36)]
    if len(boxed):
        box = _gather(data, offsets[boxed] + 12, 32, "<f8")
        bounds = shapely.bounds(geoms[boxed])
        slack = BOX_SLACK * np.maximum(np.abs(bounds), 1.0)
        with np.errstate(invalid="ignore"):
            fits = (np.isfinite(box).all(axis=1)
                    & (bounds[:, 0] >= box[:, 0] - slack[:, 0]) & (bounds[:, 1] >= box[:, 1] - slack[:, 1])
                    & (bounds[:, 2] <= box[:, 2] + slack[:, 2]) & (bounds[:, 3] <= box[:, 3] + slack[:, 3]))
        for i in boxed[~fits]:
            damaged.setdefault(int(i), BAD_BOX)
    return dict(sorted(damaged.items()))
