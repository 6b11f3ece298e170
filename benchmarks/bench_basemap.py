"""The offline basemap: its data on disk, and the time to build its vector tiles.

Builds the basemap's tile set (:mod:`layers.tiles.basemap`) from the shipped ``data/basemap`` and
the default boundaries in a throwaway data folder, several times, and prints the build time,
the tiles and their size. Target (issue 13): basemap data ≤ 5 MB on disk.
Run: ``.venv/bin/python benchmarks/bench_basemap.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from throwaway import throwaway_data  # noqa: E402

RUNS = 3
TARGET_BYTES = 5 * 1024 * 1024


def main() -> int:
    from layers.tiles import basemap
    from parks.basemap import BASEMAP_DIR
    from parks.catalog import Catalog

    on_disk = sum(p.stat().st_size for p in BASEMAP_DIR.iterdir() if p.is_file())
    print(f"data/basemap on disk: {on_disk / 1024:.0f} KB — target ≤ {TARGET_BYTES // 1024 // 1024} MB")
    with throwaway_data() as data:
        catalog = Catalog(data)
        times, meta = [], {}
        for run in range(RUNS):
            out = data / "tiles" / "basemap" / f"run{run}.mbtiles"
            start = time.perf_counter()
            meta = basemap.build(catalog, out)
            times.append(time.perf_counter() - start)
        size = out.stat().st_size
    print(f"tile build: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {RUNS} runs "
          f"(z{meta['minzoom']}–{meta['maxzoom']}, {meta['tiles']} tiles, {size / 1024:.0f} KB)")
    print("target met" if on_disk <= TARGET_BYTES else "TARGET MISSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
