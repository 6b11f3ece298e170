"""Vector tiles from PostGIS ``ST_AsMVT`` beside the embedded engine (MBTiles), on the same
FICTIONAL layers and the same fixed tile list in the same run.

For each case (10k / 100k / 1M points as ``projects``, 100k / 1M park-parcel-sized squares as
``zones``) on a throwaway data folder and a throwaway schema (dropped afterwards):

* build / load time through the app's background job, for both engines, with progress, and the
  size of each store (MBTiles file; PostGIS tables with their GiST indexes);
* tile latency of both over HTTP (the app under waitress in its own process, the same requests):
  cold = each tile's first request since the process started, warm = its second, and restart =
  the first request in a second new process (operating-system and database caches warm, the
  app's empty); p50 and p95 and the ratio PostGIS / embedded (above 1: embedded is faster).
  The PostGIS engine keeps recent tiles in memory (``CACHE_TILES``), so its warm figure is that
  cache and its restart figure is ``ST_AsMVT`` on a warm database;
* whether both engines put the same features in every tile of the list: the same feature ids
  from the layer's detail zoom, the same cluster counts below it (inside the tile; features that
  only one engine puts in the 64-unit buffer around it are counted apart).

Both servers keep the app's own tables (ledger, users, audit) in the throwaway schema; the app's
first start on the data, which gives every zone its quota-ledger row, is timed before them.

Needs PostgreSQL + PostGIS: ``bash scripts/with-postgres.sh .venv/bin/python
benchmarks/bench_tiles_postgis.py [--points 10k] [--polygons 100k] [--quick]`` (the script
installs them and starts a throwaway cluster; ``SEI_ATLAS_TEST_DATABASE_URL`` names it).
"""

from __future__ import annotations

import gzip
import os

import shapely.geometry
import tiles_common as tc
from sqlalchemy import text

ENGINES = ("embedded", "postgis")


def tile_content(data: bytes | None, layer: str) -> tuple[dict[str, bool], list[tuple[int, bool]]]:
    """What a gzip-compressed tile holds: the features of ``layer`` (id → whether the feature
    reaches into the tile itself rather than only its buffer) and the clusters (count, same)."""
    import mapbox_vector_tile

    from layers.tiles.rule import CLUSTER_LAYER

    decoded = mapbox_vector_tile.decode(gzip.decompress(data)) if data else {}

    def inside(feature) -> bool:
        extent = decoded[feature["layer"]]["extent"]
        west, south, east, north = shapely.geometry.shape(feature["geometry"]).bounds
        return west <= extent and east >= 0 and south <= extent and north >= 0

    for name, found in decoded.items():
        for feature in found["features"]:
            feature["layer"] = name
    features = {str(f["properties"]["id"]): inside(f) for f in decoded.get(layer, {}).get("features", [])}
    clusters = sorted((int(f["properties"]["count"]), inside(f))
                      for f in decoded.get(CLUSTER_LAYER, {}).get("features", []))
    return features, clusters


def compare(services: dict, layer: str, version: str, tiles, detail: int) -> tuple[list[str], int]:
    """The tiles of the list whose content differs between the engines inside the tile itself
    (each with what differs), and how many features or clusters differ only in the buffer."""
    differ, in_buffer = [], 0
    for z, x, y in tiles:
        (feat_e, clus_e), (feat_p, clus_p) = (
            tile_content(services[e].engine.tile(layer, version, z, x, y), layer) for e in ENGINES)
        if z >= detail:
            own_e, own_p = ({i for i, inside in f.items() if inside} for f in (feat_e, feat_p))
            in_buffer += len(set(feat_e) ^ set(feat_p)) - len(own_e ^ own_p)
            if own_e != own_p:
                differ.append(f"{z}/{x}/{y}: {len(own_e)} vs {len(own_p)} features, {len(own_e - own_p)} "
                              f"only embedded (e.g. {sorted(own_e - own_p)[:2]}), {len(own_p - own_e)} only "
                              f"PostGIS (e.g. {sorted(own_p - own_e)[:2]})")
        else:
            own_e, own_p = ([n for n, inside in c if inside] for c in (clus_e, clus_p))
            in_buffer += abs(len(clus_e) - len(clus_p)) - abs(len(own_e) - len(own_p))
            if own_e != own_p:
                differ.append(f"{z}/{x}/{y}: {len(own_e)} vs {len(own_p)} clusters holding "
                              f"{sum(own_e)} vs {sum(own_p)} features")
    return differ, in_buffer


def postgis_mb(service, layer: str, version: str) -> float:
    from layers.tiles.postgis import table_name

    table = table_name(layer, version)
    with service.engine.engine.connect() as conn:
        size = conn.execute(text("SELECT pg_total_relation_size(to_regclass(:t)) "
                                 "+ pg_total_relation_size(to_regclass(:c))"),
                            {"t": f'"{table}"', "c": f'"{table}_c"'}).scalar()
    return size / 2**20


def run(case, tiles, database_url: str) -> dict:
    from conftest import fresh_schema

    from layers.tiles.postgis import BUFFER  # tile units around a tile, in both engines

    print(f"\n== {case.label} (layer {case.layer}), {tc.load_average()}", flush=True)
    with tc.prepared(case) as (data, version), fresh_schema(database_url) as schema_url:
        urls = {"embedded": "", "postgis": schema_url}
        services = {e: tc.service_on(data, e, urls[e]) for e in ENGINES}
        try:
            row = {"case": case}
            for engine, service in services.items():
                built = tc.build(service, case.layer, version)
                store = (service.engine.size_bytes(case.layer, version) / 2**20 if engine == "embedded"
                         else postgis_mb(service, case.layer, version))
                row[engine] = {"build": built, "store_mb": store}
            ready = services["embedded"].engine.ready(case.layer, version)
            detail, tiles = ready["detail_minzoom"], tc.over_zoomed(tiles, ready["maxzoom"])
            row["first_start"] = tc.first_start(data, schema_url)
            for engine in ENGINES:  # both servers keep the app's own tables in the same schema
                with tc.Server(data, engine, schema_url) as server:
                    lat = tc.latency(server, case.layer, version, tiles)
                with tc.Server(data, engine, schema_url) as server:
                    restart = [ms for ms, _, _ in tc.tile_pass(server.url, case.layer, version, tiles)]
                tc.print_latency(engine, lat)
                tc.note(f"{engine} after a restart: p50 {lat.pct(restart)[0]:.1f} ms, "
                        f"p95 {lat.pct(restart)[1]:.1f} ms")
                row[engine].update(lat=lat, restart=restart)
            row["differ"], in_buffer = compare(services, case.layer, version, tiles, detail)
            row["detail"], row["load"] = detail, tc.load_average()
            tc.note(f"decoded tiles: {len(tiles) - len(row['differ'])} of {len(tiles)} hold the same "
                    f"features (ids from z{detail}, cluster counts below) inside the tile; "
                    f"{in_buffer} features or clusters differ only in the {BUFFER}-unit buffer")
            for line in row["differ"][:10]:
                tc.note(f"  differs: {line}")
        finally:
            services["postgis"].engine.dispose()
    return row


def figures(r: dict) -> list[float]:
    lat = r["lat"]
    return [*lat.pct(lat.cold), *lat.pct(lat.warm), *lat.pct(r["restart"])]


def report(rows: list[dict], n_tiles: int) -> None:
    print(f"\nEmbedded (MBTiles) beside PostGIS ST_AsMVT, fixed list of {n_tiles} tiles at z6–14, "
          "the app under waitress on 127.0.0.1; ms")
    head = (f"{'case':<14} {'engine':<9} {'build s':>8} {'CPU s':>6} {'build MB':>9} {'store MB':>9} "
            f"{'cold p50':>9} "
            f"{'cold p95':>9} {'warm p50':>9} {'warm p95':>9} {'rest p50':>9} {'rest p95':>9}  "
            "tiles agree · load")
    print(head)
    print("-" * len(head))
    for r in rows:
        for engine in ENGINES:
            e = r[engine]
            name = r["case"].label if engine == "embedded" else ""
            agree = f"{n_tiles - len(r['differ'])}/{n_tiles}" if engine == "embedded" else r["load"]
            print(f"{name:<14} {engine:<9} {e['build'].seconds:8.1f} {e['build'].cpu_seconds:6.0f} "
                  f"{e['build'].peak_rss_mb:9.0f} "
                  f"{e['store_mb']:9.1f} " + " ".join(f"{v:9.1f}" for v in figures(e)) + f"  {agree}")
        ratios = [p / m for p, m in zip(figures(r["postgis"]), figures(r["embedded"]), strict=True)]
        build_ratio = r["postgis"]["build"].seconds / r["embedded"]["build"].seconds
        print(f"{'':<14} {'pg / emb':<9} {build_ratio:7.2f}× {'':>6} {'':>9} {'':>9} "
              + " ".join(f"{v:8.2f}×" for v in ratios))
    print("\nrest: the first request in a second new server process (caches of the system and the "
          "database warm, the app's empty). Ratio above 1: the embedded engine is faster.")
    print("\nTargets (issue 10): embedded not slower than PostGIS warm; warm p95 ≤20 ms; cold p95 ≤200 ms")
    for r in rows:
        emb, pg = figures(r["embedded"]), figures(r["postgis"])
        print(f"  {r['case'].label:<14} embedded warm p95 {emb[3]:.1f} vs PostGIS warm p95 {pg[3]:.1f} "
              f"(its in-memory cache) / restart p95 {pg[5]:.1f} (ST_AsMVT): "
              f"{'ok' if emb[3] <= pg[3] else 'SLOWER than its cache'}, "
              f"{'ok' if emb[3] <= pg[5] else 'SLOWER than ST_AsMVT'}; "
              + "; ".join(f"{engine} warm p95 {tc.verdict(figures(r[engine])[3], tc.TARGETS['warm_p95'])}, "
                          f"cold p95 {tc.verdict(figures(r[engine])[1], tc.TARGETS['cold_p95'])}"
                          for engine in ENGINES)
              + f"; tiles agree: {'yes' if not r['differ'] else 'NO'}")


def main() -> None:
    _, cases = tc.parse_cases(__doc__.splitlines()[0])
    database_url = os.environ.get("SEI_ATLAS_TEST_DATABASE_URL", "")
    if not database_url.startswith("postgresql"):
        print("PostGIS tiles: not run — SEI_ATLAS_TEST_DATABASE_URL names no PostgreSQL database. Run "
              "make bench-tiles-postgis (bash scripts/with-postgres.sh .venv/bin/python "
              "benchmarks/bench_tiles_postgis.py).")
        return
    tiles = tc.fixed_tiles()
    rows = [run(case, tiles, database_url) for case in cases]
    report(rows, len(tiles))


if __name__ == "__main__":
    main()
