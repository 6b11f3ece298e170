"""How long a county's survey (地类图斑 DLTB) takes to import, and the memory it needs (prints
figures, asserts nothing; target: 1M patches ≤ 90 s on a 2-core machine).

    .venv/bin/python benchmarks/bench_survey_import.py [patches]   # default 1,000,000

Builds, in a throwaway folder, a fictional DLTB GeoPackage in GK zone 38 (EPSG:4547): square
50 m patches sharing their edges (16 vertices each, as segmentised boundaries) over a county-
sized block near Zhengzhou, with the DLTB fields and codes of the 三调 classification; then runs
``flask survey import``'s work (:func:`parks.survey_import.import_survey`, every check on,
against Henan's boundary) in a child process on a throwaway data folder (:mod:`throwaway`) and
reports its time, CPU time, peak RSS and the GeoParquet written, with the machine load.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from store.land_classes import table as land_classes  # noqa: E402

CELL_M, STEP_M = 50.0, 12.5  # exact in binary: neighbours' shared vertices are identical
ORIGIN = (440_000.0, 3_820_000.0)  # EPSG:4547, south-west of Zhengzhou
CHUNK = 100_000


def generate(path: Path, n: int) -> None:
    """``n`` patches (a square block of cells) written to ``path`` in chunks."""
    side = int(np.ceil(np.sqrt(n)))
    codes = land_classes()
    rng = np.random.default_rng(12)
    picks = rng.integers(0, len(codes), n)
    for start in range(0, n, CHUNK):
        k = np.arange(start, min(start + CHUNK, n))
        x = ORIGIN[0] + (k % side) * CELL_M
        y = ORIGIN[1] + (k // side) * CELL_M
        geoms = shapely.segmentize(shapely.box(x, y, x + CELL_M, y + CELL_M), STEP_M)
        chosen = codes.iloc[picks[k]]
        area = shapely.area(geoms)
        table = pa.table({
            "BSM": [f"4101{i:08d}" for i in k], "DLBM": chosen.index.to_numpy(dtype=str),
            "DLMC": chosen["name_zh"].to_numpy(dtype=str), "QSXZ": np.full(len(k), "10"),
            "ZLDWDM": [f"410122{i // 5000:03d}0000000000" for i in k],
            "ZLDWMC": [f"中牟县第{i // 5000}村" for i in k], "TBMJ": area, "KCXS": np.zeros(len(k)),
            "KCMJ": np.zeros(len(k)), "TBDLMJ": area, "CZCSXM": np.full(len(k), ""),
            "SJNF": np.full(len(k), 2023),
            "geometry": pa.array(shapely.to_wkb(geoms), pa.binary())})
        pyogrio.write_arrow(table, path, layer="DLTB", driver="GPKG", geometry_name="geometry",
                            geometry_type="Polygon", crs="EPSG:4547", append=start > 0)


def run_import(path: str) -> None:
    """The child: import ``path`` into a throwaway data folder, checked against Henan's boundary
    as ``flask survey import`` checks it, with progress on stderr; figures on stdout."""
    from throwaway import throwaway_data

    from parks.catalog import Catalog
    from parks.survey_import import henan_region, import_survey
    from store.db import Database

    with throwaway_data() as data:
        db = Database(f"sqlite:///{data.parent / 'bench.db'}")
        db.create_all()
        region = henan_region(Catalog(data))
        started, cpu = time.perf_counter(), time.process_time()

        def progress(done, total, step):
            print(f"\r  {step:6s} {done:>9,} / {total:,}  {time.perf_counter() - started:5.1f} s",
                  end="", file=sys.stderr, flush=True)

        meta = import_survey(db, data, path, actor="bench", region=region, progress=progress)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = (data / "survey" / "dltb-2023.parquet").stat().st_size
    print(file=sys.stderr)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "features": meta["features"], "bytes": size}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_import(sys.argv[2])
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory(prefix="sei-bench-survey-") as tmp:
        source = Path(tmp) / "dltb.gpkg"
        started = time.perf_counter()
        generate(source, n)
        print(f"generated {n:,} patches in {time.perf_counter() - started:.1f} s "
              f"({source.stat().st_size / 1e6:.0f} MB GeoPackage)")
        out = subprocess.run([sys.executable, __file__, "--child", str(source)],
                             check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"import: {figures['features']:,} patches in {figures['seconds']:.1f} s "
              f"(target ≤ 90 s; {figures['cpu']:.1f} s of CPU), peak RSS {peak_mb:.0f} MB, "
              f"GeoParquet {figures['bytes'] / 1e6:.0f} MB")
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
              f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
