"""How long read_vector takes on deliveries of realistic size (prints figures, asserts nothing).

    .venv/bin/python benchmarks/bench_geo_io.py [parcels]

Builds, in a temporary folder: a zipped GBK Shapefile without .prj/.cpg in GK zone 38 with the
zone prefix, the same as GeoPackage, and a 界址点 TXT; then times read_vector on each.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fixtures_files import make_gpkg, make_jzd_txt, make_zipped_shapefile  # noqa: E402

from geo.crs import CGCS2000, transform_geoms, transformer  # noqa: E402
from geo.vector_io import read_vector  # noqa: E402


def parcels(n: int) -> gpd.GeoDataFrame:
    """``n`` 100 m × 80 m parcels on a grid around Zhengzhou, with Chinese names."""
    x0, y0 = transformer(CGCS2000, 4547).transform(113.6, 34.7)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    xs, ys = x0 + (i % side) * 150.0, y0 + (i // side) * 120.0
    boxes = shapely.box(xs, ys, xs + 100, ys + 80)
    return gpd.GeoDataFrame({"name": [f"郑州地块{k:06d}" for k in i], "code": [f"DK{k:06d}" for k in i]},
                            geometry=transform_geoms(boxes, 4547, CGCS2000), crs=4490)


def timed(label: str, fn, repeat: int = 3) -> None:
    best = min(_once(fn) for _ in range(repeat))
    print(f"{label:<48} {best:7.3f} s")


def _once(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main(n: int) -> None:
    gdf = parcels(n)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shp = make_zipped_shapefile(tmp, gdf, crs=4526, encoding="GBK", cpg=False, prj=False)
        gpkg = make_gpkg(tmp, gdf.to_crs(4526))
        jzd = make_jzd_txt(tmp, gdf.head(min(n, 2000)), epsg=4526)
        print(f"{n} parcels; zip {shp.stat().st_size / 1e6:.1f} MB, gpkg {gpkg.stat().st_size / 1e6:.1f} MB")
        timed("zipped GBK Shapefile, no .prj/.cpg (inferred)", lambda: read_vector(shp))
        timed("GeoPackage, EPSG:4526", lambda: read_vector(gpkg))
        timed(f"界址点 TXT, {min(n, 2000)} parcels", lambda: read_vector(jzd))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
