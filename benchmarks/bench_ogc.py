"""OGC API items paging over a 100,000-feature collection: first page vs a deep page, in ms.

The collection is FICTIONAL: random points over Henan, built here in memory, named
"fictional-100k", and registered only on this benchmark's app — never written to data/.
Requests go through the real Flask handler (test client), so parsing, paging, GeoJSON
encoding and the response are all counted.

    .venv/bin/python benchmarks/bench_ogc.py [--n 100000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from layers.ogc.features import Collection  # noqa: E402

CID = "fictional-100k"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


def fictional_points(n: int, seed: int = 2012) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    cities = np.array(["郑州市", "洛阳市", "新乡市", "南阳市", "商丘市"])
    return gpd.GeoDataFrame({
        "id": [f"fict-{i:06d}" for i in range(n)],
        "name_zh": [f"虚构点 {i}" for i in range(n)],
        "city": cities[rng.integers(0, len(cities), n)],
        "value": rng.random(n).round(3),
        "geom_basis": "fictional",
    }, geometry=gpd.points_from_xy(rng.uniform(110.4, 116.6, n), rng.uniform(31.4, 36.3, n)),
        crs=4490)


def timed(client, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    r = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    assert r.status_code == 200, (url, r.status_code, r.data[:300])
    return elapsed, len(r.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    frame = fictional_points(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp}/bench.db"})
        app.extensions["atlas_ogc"].add(Collection(
            CID, "虚构点（基准测试）", "Fictional points (benchmark)", "虚构数据", "Fictional data",
            "id", load=lambda: frame, stamp=lambda: 1))
        client = app.test_client()
        items = f"/ogc/collections/{CID}/items"
        deep = args.n - 1000

        cold, _ = timed(client, f"{items}?limit=10")
        print(f"FICTIONAL collection '{CID}': {args.n:,} random points over Henan (never shipped)")
        print(f"cold first request (table built once per data version): {cold:8.1f} ms\n")
        cases = [
            ("first page, limit=10", f"{items}?limit=10"),
            (f"deep page, offset={deep:,} limit=10", f"{items}?limit=10&offset={deep}"),
            ("first page, limit=1000", f"{items}?limit=1000"),
            (f"deep page, offset={deep:,} limit=1000", f"{items}?limit=1000&offset={deep}"),
            (f"deep page in EPSG:4490 (lat/lon), offset={deep:,}", f"{items}?limit=10&offset={deep}"
                                                                    f"&crs={EPSG4490}"),
            (f"deep page in EPSG:3857, offset={deep:,}", f"{items}?limit=10&offset={deep}"
                                                         "&crs=EPSG:3857"),
            ("filter city=郑州市, deep page offset=19,000", f"{items}?city=郑州市&limit=10&offset=19000"),
            ("bbox around Zhengzhou, limit=100", f"{items}?bbox=113.4,34.6,113.9,34.9&limit=100"),
            ("single item by id", f"{items}/fict-{deep:06d}"),
        ]
        print(f"{'request':<52} {'median ms':>10} {'p90 ms':>8} {'bytes':>9}")
        for label, url in cases:
            runs = [timed(client, url) for _ in range(args.repeat)]
            ms = sorted(t for t, _ in runs)
            print(f"{label:<52} {statistics.median(ms):10.2f} {ms[int(0.9 * len(ms)) - 1]:8.2f} "
                  f"{runs[0][1]:>9,}")

    start = time.perf_counter()
    frame.to_json()
    naive = (time.perf_counter() - start) * 1000
    print(f"\nfor scale: GeoDataFrame.to_json() of the whole collection (what serving pages from "
          f"a full dump would cost): {naive:.0f} ms")


if __name__ == "__main__":
    main()
