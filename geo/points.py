"""Point tables (CSV) with longitude/latitude or x/y columns.

Which column is the easting and which the northing is decided by magnitude, not by name: in
Chinese surveying "X" is the northing, in GIS it is the easting, and Henan's values never
overlap (longitudes 110–117 vs latitudes 31–37; eastings 6 or 8 digits vs 7-digit northings).
"""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import HENAN_NORTHINGS
from geo.errors import GeoInputError
from geo.validate import rows_text

#: coordinate column pairs recognised (lower-case, spaces removed), first match wins
PAIRS = (("经度", "纬度"), ("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"),
         ("long", "lat"), ("x", "y"), ("x坐标", "y坐标"), ("东坐标", "北坐标"),
         ("easting", "northing"), ("横坐标", "纵坐标"), ("e", "n"))


def _key(name) -> str:
    return str(name).strip().lower().replace(" ", "").replace("（", "(").split("(")[0]


def coordinate_columns(columns) -> tuple[str, str]:
    """The two coordinate columns of a table; raises ``no_coordinates`` naming what it looks for."""
    by_key = {_key(c): c for c in columns}
    for a, b in PAIRS:
        if a in by_key and b in by_key:
            return by_key[a], by_key[b]
    raise GeoInputError(
        "表格中找不到坐标列。请使用“经度/纬度”、“lon/lat”或“x/y”（“X坐标/Y坐标”）作为列名。",
        "No coordinate columns found. Name them 经度/纬度, lon/lat or x/y (X坐标/Y坐标).",
        code="no_coordinates", details={"columns": [str(c) for c in columns]})


def _order(a: np.ndarray, b: np.ndarray) -> bool:
    """True when column ``a`` holds the easting/longitude."""
    def is_lat_or_northing(v):
        degrees = np.all(np.abs(v) <= 90)
        return bool(np.all((v >= 15) & (v <= 55)) if degrees
                    else np.all((v >= HENAN_NORTHINGS[0] - 200_000) & (v <= HENAN_NORTHINGS[1] + 200_000)))

    a_north, b_north = is_lat_or_northing(a), is_lat_or_northing(b)
    if a_north != b_north:
        return b_north
    raise GeoInputError("无法区分经度（东坐标）列和纬度（北坐标）列，请检查坐标数值。",
                        "Cannot tell the longitude/easting column from the latitude/northing "
                        "column; check the values.", code="bad_coordinates")


def read_points_csv(text: str) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    """Points (no CRS yet) and notes from CSV text; the coordinate columns stay as attributes.

    Raises ``empty``, ``no_coordinates`` or ``bad_coordinates`` (details ``rows``, 1-based).
    """
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise GeoInputError("无法读取 CSV 表格，请检查分隔符（逗号）和引号。",
                            "Cannot read the CSV table; check the separators (commas) and quotes.",
                            code="bad_csv") from exc
    df = df.dropna(how="all")
    if df.empty:
        raise GeoInputError("表格中没有数据行。", "The table has no data rows.", code="empty")
    col_a, col_b = coordinate_columns(df.columns)
    a = pd.to_numeric(df[col_a].str.strip(), errors="coerce").to_numpy()
    b = pd.to_numeric(df[col_b].str.strip(), errors="coerce").to_numpy()
    bad = np.isnan(a) | np.isnan(b)
    if bad.any():
        rows = np.flatnonzero(bad) + 1
        raise GeoInputError(
            f"第 {rows_text(rows)} 行的坐标缺失或不是数字（列“{col_a}”“{col_b}”）。",
            f"Rows {rows_text(rows)} have missing or non-numeric coordinates (columns "
            f"'{col_a}', '{col_b}').",
            code="bad_coordinates", details={"rows": [int(r) for r in rows]})
    notes = []
    if not _order(a, b):
        a, b = b, a
        notes.append((f"列“{col_a}”为北坐标/纬度、“{col_b}”为东坐标/经度（按数值判断）。",
                      f"Column '{col_a}' holds northings/latitudes and '{col_b}' eastings/"
                      "longitudes (judged from the values)."))
    gdf = gpd.GeoDataFrame(df.reset_index(drop=True), geometry=gpd.points_from_xy(a, b))
    return gdf, notes
