"""The embedded engine: MBTiles files under ``<data dir>/tiles/<layer>/<version>.mbtiles``.

Zero set-up: a file per layer version, built once (:mod:`layers.tiles.mbtiles`), never changed,
read by any number of threads and processes.
"""

from __future__ import annotations

import threading
from pathlib import Path

import geopandas as gpd

from layers.tiles import mbtiles
from layers.tiles.mbtiles import MBTiles, Progress


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, store_dir: Path):
        self.store_dir = Path(store_dir)
        self._open: dict[Path, tuple[MBTiles, dict]] = {}
        self._lock = threading.Lock()

    def _path(self, layer: str, version: str) -> Path:
        return self.store_dir / layer / f"{version}.mbtiles"

    def _opened(self, path: Path) -> tuple[MBTiles, dict] | None:
        found = self._open.get(path)
        if found is None and path.exists():
            store = MBTiles(path)
            found = (store, store.metadata())
            with self._lock:
                self._open[path] = found
        return found

    def ready(self, layer: str, version: str) -> dict | None:
        """The built tile set's metadata, or None when that version is not built."""
        found = self._opened(self._path(layer, version))
        return found[1] if found else None

    def latest_ready(self, layer: str) -> tuple[str, dict] | None:
        """The most recently built version of ``layer`` (served while a newer one builds)."""
        built = sorted((self.store_dir / layer).glob("*.mbtiles"), key=lambda p: p.stat().st_mtime)
        return (built[-1].stem, self.ready(layer, built[-1].stem)) if built else None

    def current(self, layer: str) -> str | None:
        """The embedded store follows the app's own catalog: no version of its own."""
        return None

    def store(self, layer: str, version: str, gdf: gpd.GeoDataFrame, *, maxzoom: int, workers: int = 1,
              progress: Progress | None = None) -> dict:
        return mbtiles.build(gdf, self._path(layer, version), layer=layer, maxzoom=maxzoom, workers=workers,
                             progress=progress)

    def tile(self, layer: str, version: str, z: int, x: int, y: int) -> bytes | None:
        found = self._opened(self._path(layer, version))
        return found[0].tile(z, x, y) if found else None

    def size_bytes(self, layer: str, version: str) -> int:
        return self._path(layer, version).stat().st_size
