"""Parcel check speed: 100,000 parcels against every park and zone, areas included.

Prints parcels per second for :func:`parks.checks.check_parcels` (STRtree assignment, ellipsoidal
and Gauss–Krüger areas, outside parts, overlaps with a ledger of allocated parcels, running
quota) and, as peer figures, a naive per-parcel ``pyproj.Geod`` area loop over the same
parcels and — when ``SEI_ATLAS_TEST_DATABASE_URL`` names a PostgreSQL + PostGIS database — the
equivalent PostGIS query on the same parcels and areas with GiST indexes, in the same run.
Accuracy: the largest relative difference of our ellipsoidal areas from ``Geod``'s and PostGIS's.

    .venv/bin/python benchmarks/bench_parcel_check.py [--parcels 100000]
    make bench-postgis    # the same under scripts/with-postgres.sh (a throwaway PostGIS)
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
from parks.batch_postgis import (  # noqa: E402
    copy_rows,
    create_parcels,
    ewkb_hex,
    in_schema,
    load_areas,
    psycopg_url,
)
from parks.build import build_layers  # noqa: E402
from parks.checks import TOLERANCE_M2, LedgerState, check_parcels, quota_areas  # noqa: E402

TARGET_S = 1.0
CELL_M, PARCEL_W, PARCEL_H = 50.0, 40.0, 30.0
SCHEMA = "bench_parcel_check"
#: for every parcel: the most specific area it overlaps by more than the tolerance (park before
#: zone), the parcel's ellipsoidal area and the part inside that area — as ``check_parcels``.
POSTGIS_CHECK = f"""
WITH hit AS MATERIALIZED (  -- each intersection area computed once
  SELECT p.id, a.area_id, a.rank, ST_Area(ST_Intersection(p.geom, a.geom)::geography) AS inside_m2
  FROM {SCHEMA}.parcels p JOIN {SCHEMA}.areas a ON ST_Intersects(p.geom, a.geom))
SELECT DISTINCT ON (p.id) p.id, hit.area_id, ST_Area(p.geom::geography), hit.inside_m2
FROM {SCHEMA}.parcels p LEFT JOIN hit ON hit.id = p.id AND hit.inside_m2 > {TOLERANCE_M2}
ORDER BY p.id, hit.rank"""


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


def load_postgis(conn, parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> None:
    """Both tables in a fresh schema, as ``flask check-parcels --engine postgis`` loads them
    (:mod:`parks.batch_postgis`): COPY, GiST indexes, ANALYZE."""
    conn.execute(in_schema(SCHEMA, "DROP SCHEMA IF EXISTS {schema} CASCADE"))
    conn.execute(in_schema(SCHEMA, "CREATE SCHEMA {schema}"))
    load_areas(conn, SCHEMA, areas)
    create_parcels(conn, SCHEMA)
    copy_rows(conn, SCHEMA, "parcels", ("id", "geom"),
              zip(range(len(parcels)), ewkb_hex(parcels.geometry.values), strict=True))
    conn.execute(in_schema(SCHEMA, "ANALYZE {schema}.parcels"))


def postgis_peer(url: str, parcels, areas, result, t_check: float, repeat: int) -> None:
    """Time :data:`POSTGIS_CHECK` (rows fetched to the client, as our check returns its rows)
    and compare its areas with ours."""
    import psycopg

    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        version = conn.execute("SELECT 'PostgreSQL ' || split_part(current_setting('server_version'), ' ', 1)"
                               " || ' + PostGIS ' || postgis_lib_version()").fetchone()[0]
        t0 = time.perf_counter()
        load_postgis(conn, parcels, areas)
        t_load = time.perf_counter() - t0
        t_pg, pg = best_of(lambda: conn.execute(POSTGIS_CHECK).fetchall(), repeat)
        conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    ids, area_ids, area_m2, inside_m2 = zip(*pg, strict=True)
    rows = result.rows
    assert list(ids) == list(range(len(rows)))
    rel = np.abs(np.array(area_m2) - rows["area_m2"].to_numpy()) / rows["area_m2"].to_numpy()
    same = rows["area_id"].to_numpy() == np.array(area_ids, dtype=object)
    inside = np.nan_to_num(np.array(inside_m2, dtype=float))
    ours_inside = (rows["area_m2"] - rows["outside_m2"]).to_numpy()[same]
    print(f"peer: PostGIS query, GiST indexes: {t_pg:6.3f} s  = {len(rows) / t_pg:>12,.0f} parcels/s"
          f"   (assignment and areas only; PostGIS / check_parcels = {t_pg / t_check:.2f}: "
          f"{'check_parcels' if t_check < t_pg else 'PostGIS'} faster)")
    print(f"  {version}, default settings; COPY, GiST indexes and ANALYZE took {t_load:.1f} s (not timed)")
    print(f"  agreement with PostGIS: same area for {int(same.sum()):,} of {len(rows):,} parcels; "
          f"parcel areas max relative difference {rel.max():.2e} (expected ~1e-6 or better): "
          f"{'ok' if rel.max() < 1e-6 else 'CHECK'}; "
          f"areas inside max difference {np.abs(inside[same] - ours_inside).max():.2e} m²")


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
    url = os.environ.get("SEI_ATLAS_TEST_DATABASE_URL")
    if url:
        postgis_peer(url, parcels, areas, result, t_check, args.repeat)
    else:
        print("peer: PostGIS skipped — SEI_ATLAS_TEST_DATABASE_URL is not set "
              "(`make bench-postgis` runs this under scripts/with-postgres.sh)")


if __name__ == "__main__":
    main()
