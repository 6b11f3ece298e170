"""The offline basemap as vector tiles: one MBTiles file per basemap version under
``<data dir>/tiles/basemap/``, with the source layers ``places``, ``rivers``, ``lakes`` and
``boundaries``.

The basemap is static shipped data (:mod:`parks.basemap`) plus the served boundaries, so it is
built once per version of those, in the request that first asks for it (a few seconds), and
served from this embedded store whatever ``VECTOR_TILE_ENGINE`` is.

GDAL's MVT writer (through pyogrio) writes one source layer per run, each with the zooms it is
drawn at (:data:`PARTS`); a tile of several source layers is the concatenation of the
decompressed tiles of the same z/x/y, since a vector tile is a protobuf message of repeated
``layers`` fields and repeated fields of concatenated messages merge (protobuf encoding spec).
Above :data:`MAXZOOM` the map over-zooms the z10 tiles (about 10 m resolution).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from layers.labels import tr
from layers.tiles.mbtiles import GDAL_OPTIONS, MBTiles
from parks.basemap import ATTRIBUTION, MAP_ATTRIBUTION, basemap_version, read_basemap
from parks.catalog import BOUNDARY_LEVELS, Catalog

LAYER = "basemap"
MINZOOM, MAXZOOM = 5, 10
#: bump when what goes into the tiles changes: every store is rebuilt
FORMAT = "2"
VERSION = re.compile(r"[0-9a-f]{12}")
SOURCE_LAYERS = ("boundaries", "lakes", "rivers", "places")
FIELDS = {"places": {"name_zh": "String", "name_en": "String", "rank": "Number"},
          "rivers": {"length_km": "Number"}, "lakes": {"area_km2": "Number"},
          "boundaries": {"level": "String", "name_zh": "String"}}


@dataclass(frozen=True)
class Part:
    """One GDAL run: ``layer``'s features selected by ``where`` at zooms ``minzoom``–``maxzoom``."""

    layer: str
    minzoom: int
    maxzoom: int
    max_rank: int = 3  # places: 1 cities, 2 counties, 3 towns
    levels: tuple[str, ...] = BOUNDARY_LEVELS
    tolerance_m: float = 100.0  # boundaries' simplification


#: what each zoom holds: city names from z5, county names from z8, town names at z10 (the map
#: shows them from z6, z8, z10); county boundaries with the county names (they are four fifths
#: of a tile's bytes), coarser boundaries at small scales
PARTS = (
    Part("places", 5, 7, max_rank=1), Part("places", 8, 9, max_rank=2), Part("places", 10, 10),
    Part("rivers", MINZOOM, MAXZOOM), Part("lakes", MINZOOM, MAXZOOM),
    Part("boundaries", 5, 6, levels=("province", "city"), tolerance_m=800),
    Part("boundaries", 7, 7, levels=("province", "city"), tolerance_m=400),
    Part("boundaries", 8, 8, tolerance_m=400), Part("boundaries", 9, 10, tolerance_m=100),
)


def version(catalog: Catalog) -> str:
    """The basemap's version: its file, the boundaries served and the tile format."""
    parts = [FORMAT, basemap_version()] + [catalog.layer_version(f"boundary_{lv}") for lv in BOUNDARY_LEVELS]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def _features(part: Part, catalog: Catalog) -> gpd.GeoDataFrame:
    if part.layer == "boundaries":
        frames = [catalog.boundaries(level, part.tolerance_m)[["name_zh", "geometry"]].assign(level=level)
                  for level in part.levels]
        gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    else:
        gdf = read_basemap(part.layer)
        if part.layer == "places":
            gdf = gdf[gdf["rank"] <= part.max_rank]
    return gdf[[*FIELDS[part.layer], "geometry"]].to_crs(3857)


def _write(gdf: gpd.GeoDataFrame, path: Path, part: Part) -> None:
    options = {**GDAL_OPTIONS, "MINZOOM": str(part.minzoom), "MAXZOOM": str(part.maxzoom)}
    pyogrio.write_dataframe(gdf, path, driver="MBTiles", layer=part.layer, dataset_options=options)


def _merge(parts: list[Path], out: Path, meta: dict) -> None:
    """Write ``out`` with, for every z/x/y of any part, the parts' tiles concatenated, and
    ``meta`` (with the number of tiles)."""
    merged: dict[tuple[int, int, int], list[bytes]] = {}
    for path in parts:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            for z, x, y, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"):
                merged.setdefault((z, x, y), []).append(gzip.decompress(data))
    with sqlite3.connect(out) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                   "tile_data BLOB, UNIQUE (zoom_level, tile_column, tile_row))")
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                       ((z, x, y, gzip.compress(b"".join(chunks), 6))
                        for (z, x, y), chunks in merged.items()))
        meta["tiles"] = len(merged)
        rows = {k: v for k, v in meta.items() if k not in ("vector_layers", "bounds")}
        rows["bounds"] = ",".join(map(str, meta["bounds"]))
        rows["json"] = json.dumps({"vector_layers": meta["vector_layers"]}, ensure_ascii=False)
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [(k, str(v)) for k, v in rows.items()])


def build(catalog: Catalog, out: Path) -> dict:
    """Build the basemap's tiles into ``out`` (renamed into place when complete); its metadata."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".build-") as tmp:
        paths = []
        for i, part in enumerate(PARTS):
            paths.append(Path(tmp) / f"part{i}.mbtiles")
            _write(_features(part, catalog), paths[-1], part)
        province = catalog.boundaries("province", 0)
        layers = [{"id": name, "fields": FIELDS[name],
                   "minzoom": min(p.minzoom for p in PARTS if p.layer == name),
                   "maxzoom": max(p.maxzoom for p in PARTS if p.layer == name)} for name in SOURCE_LAYERS]
        meta = {"name": LAYER, "format": "pbf", "scheme": "tms", "type": "baselayer",
                "minzoom": MINZOOM, "maxzoom": MAXZOOM, "vector_layers": layers,
                "bounds": province.to_crs(4326).total_bounds.round(6).tolist()}
        staging = Path(tmp) / "tiles.mbtiles"
        _merge(paths, staging, meta)
        os.replace(staging, out)
    return meta


class BasemapStore:
    """The basemap's tile sets of one data folder: built when first asked for, then read."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.store_dir = Path(catalog.data_dir) / "tiles" / LAYER
        self._open: dict[str, tuple[MBTiles, dict]] = {}
        self._lock = threading.Lock()

    def _opened(self, version: str) -> tuple[MBTiles, dict] | None:
        found = self._open.get(version)
        path = self.store_dir / f"{version}.mbtiles"
        if found is None and VERSION.fullmatch(version) and path.exists():
            store = MBTiles(path)
            found = self._open[version] = (store, _metadata(store))
        return found

    def served(self) -> tuple[str, dict]:
        """(version, metadata) of the basemap served now, built first if need be."""
        wanted = version(self.catalog)
        found = self._opened(wanted)
        if found is None:
            with self._lock:
                if not (self.store_dir / f"{wanted}.mbtiles").exists():
                    build(self.catalog, self.store_dir / f"{wanted}.mbtiles")
                    self._remove_all_but(wanted)
            found = self._opened(wanted)
        return wanted, found[1]

    def _remove_all_but(self, version: str) -> None:
        """Delete the tile sets of earlier basemap data (a page still naming one gets empty
        tiles until it is reloaded; its map data changed anyway)."""
        for path in self.store_dir.glob("*.mbtiles"):
            if path.stem != version:
                self._open.pop(path.stem, None)
                path.unlink(missing_ok=True)

    def tile(self, version: str, z: int, x: int, y: int) -> bytes | None:
        """The gzip-compressed tile of a built ``version``, or None when it holds nothing or
        lies outside the zooms (unknown versions hold nothing either)."""
        if not MINZOOM <= z <= MAXZOOM or not (0 <= x < (1 << z) and 0 <= y < (1 << z)):
            return None
        found = self._opened(version)
        return found[0].tile(z, x, y) if found else None


def _metadata(store: MBTiles) -> dict:
    with sqlite3.connect(f"file:{store.path}?mode=ro", uri=True) as db:
        rows = dict(db.execute("SELECT name, value FROM metadata").fetchall())
    extra = json.loads(rows.pop("json"))
    return {**rows, "minzoom": int(rows["minzoom"]), "maxzoom": int(rows["maxzoom"]),
            "tiles": int(rows["tiles"]), "bounds": [float(v) for v in rows["bounds"].split(",")], **extra}


def tilejson(version: str, meta: dict, *, tiles_url: str, lang: str) -> dict:
    """The basemap's TileJSON 3.0.0 document; ``tiles_url`` has ``{z}/{x}/{y}`` open."""
    west, south, east, north = meta["bounds"]
    return {
        "tilejson": "3.0.0", "name": LAYER,
        "description": tr(lang, "离线底图：地名、河流、湖泊、行政区划",
                          "Offline basemap: places, rivers, lakes, boundaries"),
        "attribution": MAP_ATTRIBUTION, "tiles": [tiles_url], "scheme": "xyz",
        "minzoom": meta["minzoom"], "maxzoom": meta["maxzoom"], "bounds": [west, south, east, north],
        "center": [round((west + east) / 2, 6), round((south + north) / 2, 6), 7],
        "vector_layers": meta["vector_layers"],
        "atlas": {"version": version, "credits": tr(lang, *ATTRIBUTION)},
    }
