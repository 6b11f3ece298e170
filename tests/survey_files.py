"""Survey (DLTB) and supply files built in code, as land offices deliver them: a GeoPackage in a
Gauss–Krüger zone without prefix, a zipped Shapefile in the prefixed zone with GBK text and no
``.cpg``, and the broken variants the import must refuse."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import CGCS2000, transform_geoms

#: (DLBM, DLMC) cycled over the grid
CODES = (("0101", "水田"), ("0103", "旱地"), ("0601", "工业用地"), ("0701", "城镇住宅用地"),
         ("05H1", "商业服务业设施用地"), ("1003", "公路用地"), ("0301", "乔木林地"), ("1101", "河流水面"))
#: the grid's south-west corner in EPSG:4547 (CGCS2000 GK CM 114°E, no zone prefix): Zhengzhou
ORIGIN = (463_000.0, 3_840_000.0)
CELL_M = 100.0


def grid(n: int = 10, *, codes=None) -> gpd.GeoDataFrame:
    """``n``×``n`` square patches of 100 m sharing their edges, in EPSG:4547, DLTB fields."""
    x0, y0 = ORIGIN
    xs, ys = x0 + np.arange(n + 1) * CELL_M, y0 + np.arange(n + 1) * CELL_M
    i, j = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n)))
    geoms = shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1])
    picked = [CODES[k % len(CODES)] for k in range(n * n)] if codes is None else codes
    return gpd.GeoDataFrame({
        "BSM": [f"41010{k:07d}" for k in range(n * n)], "DLBM": [c for c, _ in picked],
        "DLMC": [name for _, name in picked], "QSXZ": "10", "ZLDWDM": "4101220010010000000",
        "ZLDWMC": "郑州市中牟县某村", "TBMJ": shapely.area(geoms), "KCXS": 0.0, "KCMJ": 0.0,
        "TBDLMJ": shapely.area(geoms), "CZCSXM": "", "SJNF": 2023}, geometry=geoms, crs=4547)


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str = "DLTB") -> Path:
    gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


def write_gbk_shp_zip(gdf: gpd.GeoDataFrame, folder: Path, epsg: int = 4526) -> Path:
    """A zipped Shapefile in ``epsg`` (default 4526: zone 38 with its prefix) with GBK attributes and
    no ``.cpg``, so the encoding must be detected."""
    folder.mkdir(parents=True, exist_ok=True)
    gdf.to_crs(epsg).to_file(folder / "DLTB.shp", encoding="GBK", engine="pyogrio")
    (folder / "DLTB.cpg").unlink(missing_ok=True)
    target = folder / "dltb.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for part in folder.glob("DLTB.*"):
            zf.write(part, part.name)
    return target


def in_cgcs2000(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return transform_geoms(np.asarray(gdf.geometry.values, dtype=object), gdf.crs, CGCS2000)


def supply_records(n: int = 6) -> gpd.GeoDataFrame:
    """Supply parcels (供地) with the usual Chinese column names, areas in 公顷, in EPSG:4547."""
    x0, y0 = ORIGIN
    geoms = [shapely.box(x0 + k * 150, y0, x0 + k * 150 + 120, y0 + 120) for k in range(n)]
    return gpd.GeoDataFrame({
        "电子监管号": [f"4101222023B{k:05d}" for k in range(n)],
        "土地用途": ["工业用地", "城镇住宅用地"] * (n // 2) + ["工业用地"] * (n % 2),
        "供地方式": ["挂牌出让", "划拨"] * (n // 2) + ["协议出让"] * (n % 2),
        "签订日期": ["2021-03-05", "2022/7/1"] * (n // 2) + ["2023-01-09"] * (n % 2),
        "供地面积(公顷)": [1.44] * n,
        "容积率": [1.2, None] * (n // 2) + [2.0] * (n % 2)}, geometry=geoms, crs=4547)
