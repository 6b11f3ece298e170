"""Parcel check speed: 100,000 parcels against every park and zone, areas included.

Prints parcels per second for :func:`parks.checks.check_parcels` (STRtree assignment, ellipsoidal
and Gauss–Krüger areas, outside parts, overlaps with a ledger of allocated parcels, running
quota) and, as the peer figure, a naive per-parcel ``pyproj.Geod`` area loop over the same
parcels. Accuracy: the largest relative difference of our ellipsoidal areas from ``Geod``'s.

    .venv/bin/python benchmarks/bench_parcel_check.py [--parcels 100000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.area import ellipsoidal_area_m2, gk_area_m2  # noqa: E402
from geo.crs import CGCS2000, gk_epsg, transform_geoms, transformer  # noqa: E402
from parks.build import build_layers  # noqa: E402
from parks.checks import LedgerState, check_parcels, quota_areas  # noqa: E402

TARGET_S = 1.0
CELL_M, PARCEL_W, PARCEL_H = 50.0, 40.0, 30.0


def parcel_grid(areas: gpd.GeoDataFrame, n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` jittered 40 m × 30 m parcels on 50 m grids centred on each distinct area centre,
    so most lie inside parks or zones, some cross their edges and some lie outside."""
    rng = np.random.default_rng(seed)
    centres = np.unique(np.round(shapely.get_coordinates(shapely.centroid(areas.geometry.values)), 2), axis=0)
    per = int(np.ceil(n / len(centres)))
    side = int(np.ceil(np.sqrt(per)))
    geoms = []
    for lon, lat in centres:
        zone = gk_epsg(lon)
        x0, y0 = transformer(CGCS2000, zone).transform(lon, lat)
        i, j = np.divmod(np.arange(per), side)
        x = x0 + (i - side / 2) * CELL_M + rng.uniform(0, CELL_M - PARCEL_W, per)
        y = y0 + (j - side / 2) * CELL_M + rng.uniform(0, CELL_M - PARCEL_H, per)
        boxes = shapely.box(x, y, x + PARCEL_W, y + PARCEL_H)
        geoms.append(transform_geoms(boxes, zone, CGCS2000))
    geoms = np.concatenate(geoms)[:n]
    return gpd.GeoDataFrame({"name": [f"DK{k:06d}" for k in range(len(geoms))]}, geometry=geoms,
                            crs=CGCS2000)


def ledger_with_allocations(parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, k: int) -> LedgerState:
    """A ledger whose quotas are large and where ``k`` parcels (shifted 30 m) are allocated."""
    quotas = pd.DataFrame({"quota_m2": 1e9, "basis": "user", "committed_m2": 0.0},
                          index=pd.Index(areas["area_id"]))
    picked = parcels.geometry.values[:: max(1, len(parcels) // k)][:k]
    shifted = shapely.transform(np.asarray(picked, dtype=object), lambda xy: xy + [0.0003, 0.0])
    allocations = gpd.GeoDataFrame({"alloc_id": np.arange(1, k + 1), "area_id": "x",
                                    "status": "reserved", "label": "ledger"},
                                   geometry=shifted, crs=CGCS2000)
    return LedgerState(2013, quotas, allocations)


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--allocated", type=int, default=2_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory():
        layers = build_layers()
    areas = quota_areas(layers["parks"], layers["zones"])
    # Areas of distinct schematic extent (park circles inside zone circles are kept: that is
    # the most-specific rule at work); the grid never straddles two parks.
    parcels = parcel_grid(areas, args.parcels)
    ledger = ledger_with_allocations(parcels, areas, args.allocated)
    geoms = np.asarray(parcels.geometry.values, dtype=object)

    t_check, result = best_of(lambda: check_parcels(parcels, areas, ledger), args.repeat)
    t_ell, ours = best_of(lambda: ellipsoidal_area_m2(geoms), args.repeat)
    t_gk, _ = best_of(lambda: gk_area_m2(geoms), args.repeat)
    geod = Geod(ellps="GRS80")
    t_geod, ref = best_of(lambda: np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in geoms]), 1)

    rows = result.rows
    rel = np.abs(rows["area_m2"].to_numpy() - ref) / ref
    counts = rows["verdict"].value_counts().to_dict()
    inside = rows["area_id"].notna().to_numpy()
    print(f"parcels: {len(parcels):,} against {len(areas)} parks and zones, "
          f"{args.allocated:,} allocated parcels in the ledger; best of {args.repeat} runs, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (timings need a quiet machine)")
    crossing = int((inside & (rows["outside_m2"] > 1).to_numpy()).sum())
    print(f"  assigned to an area: {int(inside.sum()):,}; crossing its edge: {crossing:,}; "
          f"overlapping the ledger: {int((rows['overlap_m2'] > 0).sum()):,}; verdicts {counts}")
    print(f"check_parcels (areas included):  {t_check:6.3f} s  = {len(parcels) / t_check:>12,.0f} parcels/s"
          f"   target < {TARGET_S:.1f} s: {'met' if t_check < TARGET_S else 'NOT met'}")
    print(f"  of which ellipsoidal area:       {t_ell:6.3f} s")
    print(f"  of which Gauss–Krüger area:      {t_gk:6.3f} s")
    print(f"peer: per-parcel pyproj.Geod loop: {t_geod:6.3f} s  = {len(parcels) / t_geod:>12,.0f} parcels/s"
          f"   (areas only; check_parcels is {t_geod / t_check:.1f}× faster)")
    print(f"accuracy vs Geod: max relative difference {rel.max():.2e} (limit 1e-4 = 0.01 %): "
          f"{'ok' if rel.max() < 1e-4 else 'FAILED'}")


if __name__ == "__main__":
    main()
