"""Indicator speed: intensive-use indicators of every park and zone from a 1M-patch survey.

Generates a fictional survey (DLTB-shaped patches with 三调 codes, grouped by the shipped code
table) in a throwaway data folder and stores it as an import does (:mod:`store.geoparquet`,
read back by :mod:`store.survey`): ``--near`` of the patches on fine grids around the parks and
zones (15 %: ~0.15 ha a patch there, denser than a town's 三调 patches; many cross an area's
edge), the rest on a coarse grid over Henan, none overlapping; plus fictional supply parcels
around the areas. Then times :func:`parks.measured.all_indicators` for every park and zone —
cold (nothing cached: each area read with its ``mask``, clipped, measured) and warm (cached per
survey version and area) — and, as a separate figure, every city (which reads the whole
survey). Target: ≤10 s cold.

    .venv/bin/python benchmarks/bench_indicators.py [--patches 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throwaway import throwaway_data  # noqa: E402

from parks import measured  # noqa: E402
from parks.catalog import Catalog  # noqa: E402
from store import layer_versions, survey  # noqa: E402
from store.geoparquet import GeoParquetWriter  # noqa: E402
from store.land_classes import classify  # noqa: E402

TARGET_S = 10.0
YEAR = 2019
BATCH = 100_000
HENAN = (110.35, 31.38, 116.65, 36.37)
#: fictional land-class mix near the areas and elsewhere: (codes, probabilities)
NEAR = (("0601", "0701", "05H1", "1004", "0103", "0301", "1206"), (0.3, 0.2, 0.1, 0.1, 0.2, 0.05, 0.05))
FAR = (("0103", "0102", "0301", "0702", "1101", "0601", "1206"), (0.45, 0.15, 0.15, 0.1, 0.05, 0.05, 0.05))


def _grid(bounds, n: int) -> np.ndarray:
    """About ``n`` square cells over ``bounds`` (slightly jittered corners)."""
    minx, miny, maxx, maxy = bounds
    cell = np.sqrt((maxx - minx) * (maxy - miny) / max(n, 1))
    xs, ys = np.arange(minx, maxx, cell), np.arange(miny, maxy, cell)
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))
    return shapely.box(x, y, x + cell * 0.98, y + cell * 0.98)


def fictional_patches(areas, n: int, near_share: float) -> list[tuple[np.ndarray, str]]:
    """(geometries, mix) chunks adding up to about ``n`` patches, ``near_share`` of them on the
    fine grids around the areas."""
    boxes = []
    for geom in areas:
        minx, miny, maxx, maxy = geom.bounds
        pad = 0.15 * max(maxx - minx, maxy - miny)
        boxes.append((minx - pad, miny - pad, maxx + pad, maxy + pad))
    sizes = np.array([(b[2] - b[0]) * (b[3] - b[1]) for b in boxes])
    near, taken = [], []
    for b, size in zip(boxes, sizes, strict=True):  # patches never overlap, as in a survey
        cells = _grid(b, int(n * near_share * size / sizes.sum()))
        if taken:
            cells = cells[~shapely.intersects(cells, shapely.union_all(taken))]
        near.append((cells, "near"))
        taken.append(shapely.box(*b))
    made = sum(len(g) for g, _ in near)
    far = _grid(HENAN, n - made)
    return near + [(far[~shapely.intersects(far, shapely.union_all(taken))], "far")]


def _attributes(geoms: np.ndarray, mix, rng, start: int) -> pa.Table:
    codes = rng.choice(mix[0], size=len(geoms), p=mix[1])
    tbmj = np.round(shapely.area(geoms) * 1.0e10, 2)  # a stand-in: indicators measure anew
    kcmj = np.where(np.isin(codes, ("0101", "0102", "0103")), np.round(0.06 * tbmj, 2), 0.0)
    cols = {"BSM": [f"41{start + i:012d}" for i in range(len(geoms))], "DLBM": codes,
            "TBMJ": tbmj, "KCMJ": kcmj, "TBDLMJ": tbmj - kcmj, "SJNF": np.full(len(geoms), YEAR)}
    cols |= classify(codes)
    return pa.table(cols)


def write_survey(data_dir: Path, chunks, rng) -> int:
    rows = 0
    with GeoParquetWriter(survey.survey_file(data_dir, YEAR)) as writer:
        for geoms, kind in chunks:
            mix = NEAR if kind == "near" else FAR
            for i in range(0, len(geoms), BATCH):
                part = geoms[i:i + BATCH]
                writer.write(_attributes(part, mix, rng, rows), part)
                rows += len(part)
    meta = {"year": YEAR, "features": rows, "engine": survey.GEOPARQUET, "source": "bench (fictional)"}
    survey.survey_meta_path(data_dir, YEAR).write_text(json.dumps(meta), encoding="utf-8")
    return rows


def write_supply(data_dir: Path, areas, rng, per_area: int = 2000) -> int:
    """Fictional supply parcels on a grid over each area's box (not overlapping one another),
    1 in 10 without a FAR."""
    grids, taken = [], []
    for g in areas:
        cells = _grid(g.bounds, per_area)
        grids.append(cells[~shapely.intersects(cells, shapely.union_all(taken))] if taken else cells)
        taken.append(shapely.box(*g.bounds))
    geoms = np.concatenate(grids)
    n = len(geoms)
    table = pa.table({"parcel_id": [f"GD{i:07d}" for i in range(n)],
                      "use": rng.choice(["工业用地", "商服用地", "住宅用地"], size=n, p=(0.6, 0.2, 0.2)),
                      "method": rng.choice(["出让", "划拨"], size=n),
                      "supplied_on": [f"{y}-06-30" for y in rng.integers(2005, 2022, size=n)],
                      "area_m2": np.zeros(n),
                      "far": np.where(rng.random(n) < 0.9, np.round(rng.uniform(0.6, 3.0, n), 2), np.nan)})
    meta = {"features": n, "engine": survey.GEOPARQUET}
    with layer_versions.staged_version(data_dir, survey.SUPPLY_LAYER, meta) as (tmp, version), \
            GeoParquetWriter(tmp / f"{survey.SUPPLY_LAYER}.parquet") as writer:
        writer.write(table, geoms)
    layer_versions.switch(data_dir, survey.SUPPLY_LAYER, version)
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patches", type=int, default=1_000_000)
    parser.add_argument("--near", type=float, default=0.15,
                        help="share of the patches around the parks and zones (0.15: ~0.15 ha each)")
    args = parser.parse_args()
    rng = np.random.default_rng(12)
    with throwaway_data() as data:
        catalog = Catalog(data)
        regions = [r for r in measured.regions(catalog).values()
                   if r.kind in ("park", "zone") and r.geometry is not None]
        t = time.perf_counter()
        chunks = fictional_patches([r.geometry for r in regions], args.patches, args.near)
        rows = write_survey(data, chunks, rng)
        parcels = write_supply(data, [r.geometry for r in regions], rng)
        size = survey.survey_file(data, YEAR).stat().st_size / 2**20
        print(f"fictional survey: {rows:,} patches ({size:.0f} MiB GeoParquet), {parcels:,} supply "
              f"parcels, written in {time.perf_counter() - t:.1f} s")

        t, cpu = time.perf_counter(), time.process_time()
        results = measured.all_indicators(catalog, data, YEAR, kinds=("park", "zone"))
        cold, cold_cpu = time.perf_counter() - t, time.process_time() - cpu
        t = time.perf_counter()
        measured.all_indicators(catalog, data, YEAR, kinds=("park", "zone"))
        warm = time.perf_counter() - t
        patches = sum(next(i for i in r["indicators"] if i["key"] == "construction_m2")["inputs"][0]
                      .get("patches", 0) for r in results)
        print(f"indicators of {len(results)} parks and zones ({len(regions)} located; "
              f"{patches:,} construction patches inside): cold {cold:.2f} s wall, {cold_cpu:.2f} s CPU "
              f"({'meets' if cold <= TARGET_S else 'misses'} the {TARGET_S:.0f} s target on the wall "
              f"clock; CPU time is what an idle machine would take), warm (cached) {warm:.3f} s")
        t, cpu = time.perf_counter(), time.process_time()
        cities = measured.all_indicators(catalog, data, YEAR, kinds=("city",))
        print(f"indicators of {len(cities)} cities (whole survey read): {time.perf_counter() - t:.2f} s "
              f"wall, {time.process_time() - cpu:.2f} s CPU")
        sample = next(r for r in results if r["area"]["id"] == "zone-01")
        print("zone-01:", ", ".join(f"{i['key']}={i['value'] if i['value'] is None else round(i['value'], 2)}"
                                    for i in sample["indicators"]))
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
