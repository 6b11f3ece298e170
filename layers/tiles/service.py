"""One interface over both tile engines: which version of a layer is served, its TileJSON
metadata, its tiles, and builds.

A layer's tiles are built once per layer version: in the request that first asks for a small
layer (≤ :data:`SYNC_BUILD_MAX_FEATURES`), in a background job for a big one. While a new
version builds, the previous built version keeps being served, so nobody sees a half-built set.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from core.errors import UserError
from layers.tiles import jobs, rule
from layers.tiles.embedded import EmbeddedEngine
from layers.tiles.mbtiles import Progress
from layers.tiles.versions import is_newer
from parks.catalog import BOUNDARY_LEVELS, THEMATIC, Catalog
from parks.industry import industry_keys

#: layers smaller than this are built in the request that first asks for them
SYNC_BUILD_MAX_FEATURES = 20_000
BOUNDARY_LAYERS = tuple(f"boundary_{level}" for level in BOUNDARY_LEVELS)
TILE_LAYERS = tuple(info.name for info in THEMATIC) + BOUNDARY_LAYERS
ENGINES = ("auto", "embedded", "postgis")


class UnknownTileLayer(UserError):
    status = 404

    def __init__(self, layer: str):
        super().__init__(f"没有名为“{layer}”的切片图层；可用：{'、'.join(TILE_LAYERS)}。",
                         f"No tiled layer '{layer}'; available: {', '.join(TILE_LAYERS)}.",
                         code="unknown_layer")


class UnknownTileVersion(UserError):
    status = 404

    def __init__(self, layer: str, version: str):
        super().__init__(f"图层 {layer} 没有版本 {version} 的切片。",
                         f"Layer {layer} has no tiles of version {version}.", code="unknown_version")


class BeyondDataMaxZoom(UserError):
    """A tile above the layer's data max zoom: clients draw those zooms from the max zoom's
    tiles (TileJSON ``maxzoom``, OGC ``tileMatrixSetLimits``), so there is no such tile."""

    status = 404

    def __init__(self, layer: str, z: int, maxzoom: int):
        super().__init__(f"图层 {layer} 的切片只到第 {maxzoom} 级（数据最大级别）；"
                         f"第 {z} 级请由第 {maxzoom} 级切片放大显示（过缩放）。",
                         f"Layer {layer} has tiles up to zoom {maxzoom} (its data max zoom); "
                         f"draw zoom {z} from the zoom {maxzoom} tiles (over-zoom).",
                         code="beyond_data_maxzoom", details={"maxzoom": maxzoom})


class TilesBuilding(UserError):
    """The layer's first tile set is still being built (nothing older to serve meanwhile)."""

    status = 503

    def __init__(self, job: dict):
        done, total = job.get("done", 0), job.get("total", 1)
        super().__init__(f"图层切片正在生成（{done}/{total} 步），请稍后刷新。",
                         f"The layer's tiles are being built ({done} of {total} steps); try again shortly.",
                         code="tiles_building", details={"job": job})


@dataclass(frozen=True)
class Served:
    """The tile set a layer is served from now, and the newer build under way if any."""

    layer: str
    version: str
    meta: dict
    building: dict | None = None


class TileService:
    def __init__(self, catalog: Catalog, engine, *, job_env: dict[str, str]):
        """``engine``: :class:`~layers.tiles.embedded.EmbeddedEngine` or
        :class:`~layers.tiles.postgis.PostGISEngine` (the same methods)."""
        self.catalog = catalog
        self.engine = engine
        self.job_env = job_env
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    # ----- what is served ---------------------------------------------------------------------

    def check_layer(self, layer: str) -> None:
        if layer not in TILE_LAYERS:
            raise UnknownTileLayer(layer)

    def load(self, layer: str) -> gpd.GeoDataFrame:
        """The GeoDataFrame the rest of the app uses for ``layer`` (boundaries at full detail),
        with the map's filter key ``f_ind``."""
        if layer in BOUNDARY_LAYERS:
            return self.catalog.boundaries(layer.removeprefix("boundary_"), 0)
        gdf = self.catalog.layer(layer)
        gdf["f_ind"] = industry_keys(layer, gdf)  # what the map's industry filter matches
        return gdf

    def wanted_version(self, layer: str) -> str:
        """This server's version, unless the shared store serves a newer one (PostGIS)."""
        local = self.catalog.layer_version(layer)
        shared = self.engine.current(layer)
        return shared if shared and not is_newer(local, shared) else local

    def tiled_on_map(self, layer: str) -> bool:
        """Whether the overview draws ``layer`` from tiles (too big to inline)."""
        return self.catalog.is_big(layer)

    def served(self, layer: str) -> Served:
        """The tile set to serve for ``layer``; builds or starts building the wanted version.

        Raises :class:`TilesBuilding` when a big layer's first build is under way.
        """
        self.check_layer(layer)
        version = self.wanted_version(layer)
        meta = self.engine.ready(layer, version)
        if meta:
            return Served(layer, version, meta)
        if self.catalog.feature_count(layer) <= SYNC_BUILD_MAX_FEATURES:
            with self._lock_for(layer, version):
                meta = self.engine.ready(layer, version) or self.build(layer, version)
            return Served(layer, version, meta)
        job = self.start_build(layer, version)
        older = self.engine.latest_ready(layer)
        if older and older[0] != version:
            return Served(layer, older[0], older[1], building=job)
        raise TilesBuilding(job)

    def _lock_for(self, layer: str, version: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault((layer, version), threading.Lock())

    # ----- builds -------------------------------------------------------------------------------

    def build(self, layer: str, version: str, *, workers: int = 1, progress: Progress | None = None) -> dict:
        """Build ``version`` of ``layer`` now, from the catalog (refused if it serves another)."""
        served = self.catalog.layer_version(layer)
        if served != version:
            raise UserError(f"图层 {layer} 已换为版本 {served}，不再生成 {version} 的切片。",
                            f"Layer {layer} now serves version {served}; tiles of {version} are not built.",
                            code="superseded", details={"served": served})
        maxzoom = rule.BOUNDARY_MAXZOOM if layer in BOUNDARY_LAYERS else rule.MAXZOOM
        return self.engine.store(layer, version, self.load(layer), maxzoom=maxzoom, workers=workers,
                                 progress=progress)

    def start_build(self, layer: str, version: str | None = None) -> dict:
        """Build in the background (a job anyone can follow with :meth:`job`)."""
        version = version or self.catalog.layer_version(layer)
        if self.engine.ready(layer, version):
            return jobs.finished(layer, version)
        return jobs.start(self.engine.store_dir, layer, version, env=self.job_env)

    def build_if_big(self, layer: str) -> dict | None:
        """After a layer switched version: start a background build when the layer is too big to
        build in a request (smaller ones are built when first asked for)."""
        if self.catalog.feature_count(layer) <= SYNC_BUILD_MAX_FEATURES:
            return None
        return self.start_build(layer)

    def job(self, job_id: str) -> dict | None:
        parsed = jobs.parse_job_id(job_id)
        if parsed is None or parsed[0] not in TILE_LAYERS:
            return None
        layer, version = parsed
        if self.engine.ready(layer, version):
            return jobs.finished(layer, version)
        return jobs.read_state(self.engine.store_dir, layer, version)

    # ----- tiles --------------------------------------------------------------------------------

    def tile(self, layer: str, version: str, z: int, x: int, y: int) -> bytes | None:
        """The gzip-compressed tile, or None when it holds nothing (or lies under the min zoom).

        Above the data max zoom: :class:`BeyondDataMaxZoom` (404), as OGC API – Tiles asks for
        tiles outside the tileset's limits; an empty tile (204) there would tell a client that
        ignored the limits that the place holds nothing."""
        self.check_layer(layer)
        if not (0 <= x < (1 << z) and 0 <= y < (1 << z)):
            raise UserError("切片行列号超出该级别范围。", "Tile column or row out of range for its zoom.",
                            code="bad_tile")
        meta = self.engine.ready(layer, version)
        if not meta:
            raise UnknownTileVersion(layer, version)
        if z > meta["maxzoom"]:
            raise BeyondDataMaxZoom(layer, z, meta["maxzoom"])
        if z < rule.MINZOOM:
            return None
        return self.engine.tile(layer, version, z, x, y)


def _has_postgis(url: str) -> bool:
    from layers.tiles.postgis import has_postgis

    return has_postgis(url)


def make_service(catalog: Catalog, *, engine: str = "auto", database_url: str = "") -> TileService:
    """A tile service on ``catalog``: PostGIS when ``engine`` is ``postgis`` (or ``auto`` and the
    database is PostgreSQL with PostGIS), else the embedded MBTiles store under the data folder."""
    if engine not in ENGINES:
        raise ValueError(f"TILE_ENGINE must be one of {ENGINES}, not {engine!r}")
    store_dir = Path(catalog.data_dir) / "tiles"
    use_postgis = engine == "postgis" or (engine == "auto" and (database_url or "").startswith("postgresql")
                                          and _has_postgis(database_url))
    if use_postgis:  # psycopg is only needed (and installed, the postgres extra) for this engine
        from layers.tiles.postgis import PostGISEngine

        # each engine keeps its build jobs' state apart: a build done by one is not done for the other
        chosen = PostGISEngine(database_url, store_dir / "postgis")
    else:
        chosen = EmbeddedEngine(store_dir)
    env = {"SEI_ATLAS_TILE_DATA_DIR": str(catalog.data_dir), "SEI_ATLAS_TILE_ENGINE": chosen.name,
           "SEI_ATLAS_TILE_DATABASE_URL": database_url if use_postgis else ""}
    return TileService(catalog, chosen, job_env=env)


def engine_from_env() -> TileService:
    """The tile service of a build job process (settings from :meth:`make_service`'s env)."""
    return make_service(Catalog(os.environ["SEI_ATLAS_TILE_DATA_DIR"]),
                        engine=os.environ.get("SEI_ATLAS_TILE_ENGINE", "embedded"),
                        database_url=os.environ.get("SEI_ATLAS_TILE_DATABASE_URL", ""))
