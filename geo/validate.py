"""Checking and repairing uploaded geometries, each change noted, nothing exploded silently.

Multipart polygons stay MultiPolygons. Invalid rings are repaired with ``shapely.make_valid``
keeping only the polygonal parts, and the repair is refused when it would change a feature's
area by more than :data:`MAX_AREA_CHANGE` — beyond that the drawing itself is in doubt.
Feature numbers in messages are 1-based positions in the uploaded file.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.area import ellipsoidal_area_m2
from geo.crs import CGCS2000, HENAN_BOUNDS
from geo.errors import GeoInputError

#: largest relative area change a repair may make (0.1 %)
MAX_AREA_CHANGE = 0.001
POLYGONAL = ("Polygon", "MultiPolygon")
KINDS = ("polygon", "point", "any")


def rows_text(rows, limit: int = 10) -> str:
    """'3, 7, 12' (or '3, 7, … (25 in all)') for 1-based feature numbers."""
    rows = list(rows)
    text = ", ".join(str(r) for r in rows[:limit])
    return text if len(rows) <= limit else f"{text} … ({len(rows)})"


def polygonal_part(geom):
    """The Polygon/MultiPolygon inside ``geom`` (e.g. a GeometryCollection), or None."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in POLYGONAL]
    polys = [q for p in parts for q in (p.geoms if p.geom_type == "MultiPolygon" else [p])]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _single_point(geom):
    if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:
        return geom.geoms[0]
    return geom


def clean(gdf: gpd.GeoDataFrame, *, geometry: str = "polygon", rows=None
          ) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    """Validate ``gdf`` (in CGCS2000) for ``geometry`` "polygon", "point" or "any".

    ``rows`` are the 1-based feature numbers of ``gdf``'s rows in the file (default 1..n).
    Returns the cleaned frame (index 0..n-1) and bilingual notes. Raises ``empty``,
    ``no_polygons`` / ``no_points``, ``mixed_geometry`` or ``invalid_geometry`` (with ``rows``
    in the error details).
    """
    if geometry not in KINDS:
        raise ValueError(geometry)
    notes: list[tuple[str, str]] = []
    rows = np.asarray(rows if rows is not None else np.arange(1, len(gdf) + 1))
    geoms = np.asarray(gdf.geometry.values, dtype=object)

    if shapely.has_z(geoms[~shapely.is_missing(geoms)]).any():
        geoms = shapely.force_2d(geoms)
        notes.append(("已忽略高程（Z）坐标。", "Elevation (Z) values were ignored."))
    if geometry == "polygon":
        collections = shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION  # None: -1
        if collections.any():
            geoms = geoms.copy()
            geoms[collections] = [polygonal_part(g) for g in geoms[collections]]
            notes.append((f"第 {rows_text(rows[collections])} 个要素为几何集合，已只保留其中的面。",
                          f"Features {rows_text(rows[collections])} were geometry collections; only "
                          "their polygons were kept."))
    elif geometry == "point":
        geoms = np.array([_single_point(g) if g is not None else None for g in geoms], dtype=object)

    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.all():
        raise GeoInputError("文件中没有任何几何图形（要素为空）。请检查导出的文件。",
                            "The file holds no geometry (its features are empty). Check the export.",
                            code="empty")
    if empty.any():
        notes.append((f"已忽略第 {rows_text(rows[empty])} 个要素：几何为空。",
                      f"Skipped features {rows_text(rows[empty])}: empty geometry."))
    gdf = gdf.loc[~empty].copy()
    geoms, rows = geoms[~empty], rows[~empty]

    _check_kind(geoms, rows, geometry)
    if geometry != "point":
        geoms, repair_notes = _repair(geoms, rows)
        notes += repair_notes
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    gdf.index = range(len(gdf))
    return gdf, notes


def _check_kind(geoms, rows, geometry: str) -> None:
    if geometry == "any":
        return
    types = shapely.get_type_id(geoms)
    wanted = np.isin(types, [3, 6]) if geometry == "polygon" else types == 0
    if wanted.all():
        return
    found = sorted({g.geom_type for g in geoms})
    if not wanted.any():
        if geometry == "polygon":
            raise GeoInputError(
                f"文件中没有面要素（找到的是：{'、'.join(found)}）。地块须为面（多边形）。",
                f"The file holds no polygons (found: {', '.join(found)}). Parcels must be polygons.",
                code="no_polygons")
        raise GeoInputError(
            f"文件中没有点要素（找到的是：{'、'.join(found)}）。该图层须为点。",
            f"The file holds no points (found: {', '.join(found)}). This layer takes points.",
            code="no_points")
    bad = rows[~wanted]
    kind_zh, kind_en = ("面", "polygons") if geometry == "polygon" else ("点", "points")
    raise GeoInputError(
        f"几何类型混杂：第 {rows_text(bad)} 个要素不是{kind_zh}。请删除或改正这些要素后重新上传。",
        f"Mixed geometry types: features {rows_text(bad)} are not {kind_en}. Remove or fix them "
        "and upload again.",
        code="mixed_geometry", details={"rows": [int(r) for r in bad]})


def _repair(geoms, rows):
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms, []
    geoms = geoms.copy()
    before = ellipsoidal_area_m2(geoms[invalid], CGCS2000)
    fixed = np.array([polygonal_part(shapely.make_valid(g)) for g in geoms[invalid]], dtype=object)
    after = np.array([ellipsoidal_area_m2([g], CGCS2000)[0] if g is not None else 0.0 for g in fixed])
    change = np.abs(after - before) / np.maximum(np.maximum(after, before), 1e-9)
    too_much = change > MAX_AREA_CHANGE
    if too_much.any():
        bad = rows[invalid][too_much]
        worst = float(change[too_much].max()) * 100
        raise GeoInputError(
            f"第 {rows_text(bad)} 个要素的边界自相交或无效，修复会使面积变化达 {worst:.2f}%（上限 0.1%）。"
            "请在 GIS 软件中检查并修正边界后重新上传。",
            f"Features {rows_text(bad)} have self-intersecting or invalid boundaries; repairing "
            f"them would change their area by up to {worst:.2f}% (limit 0.1%). Check and fix the "
            "boundaries in your GIS and upload again.",
            code="invalid_geometry", details={"rows": [int(r) for r in bad]})
    geoms[invalid] = fixed
    fixed_rows = rows[invalid]
    worst = float(change.max()) * 100
    return geoms, [(
        f"已自动修复第 {rows_text(fixed_rows)} 个要素的无效边界（自相交等），面积变化不超过 {worst:.4f}%。",
        f"Repaired invalid boundaries (self-intersections etc.) of features {rows_text(fixed_rows)}; "
        f"area changed by at most {worst:.4f}%.")]


def check_region(gdf: gpd.GeoDataFrame, region=None, *, rows=None) -> None:
    """Raise ``outside_henan`` (details ``rows``) for features in CGCS2000 lying wholly outside
    ``region`` (a shapely geometry in CGCS2000 degrees) or, without one, :data:`HENAN_BOUNDS`."""
    rows = np.asarray(rows if rows is not None else np.arange(1, len(gdf) + 1))
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    area = shapely.box(*HENAN_BOUNDS) if region is None else region
    shapely.prepare(area)
    outside = ~shapely.intersects(area, geoms)
    if not outside.any():
        return
    minx, miny, maxx, maxy = shapely.total_bounds(geoms[outside])
    raise GeoInputError(
        f"第 {rows_text(rows[outside])} 个要素位于河南省范围之外（经度 {minx:.4f}–{maxx:.4f}°，"
        f"纬度 {miny:.4f}–{maxy:.4f}°）。请检查坐标系（分带、带号）是否选对。",
        f"Features {rows_text(rows[outside])} lie outside Henan (longitude {minx:.4f}–{maxx:.4f}°, "
        f"latitude {miny:.4f}–{maxy:.4f}°). Check the CRS (zone, zone prefix).",
        code="outside_henan", details={"rows": [int(r) for r in rows[outside]]})
