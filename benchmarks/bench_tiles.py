"""Vector tiles on the embedded engine (MBTiles built by GDAL's MVT writer): build, latency,
the overview with the big layer on, server memory — for FICTIONAL layers of real size.

For each case (10k / 100k / 1M points as ``projects``, 100k / 1M park-parcel-sized squares as
``zones``, all inside Henan) it prints, on a throwaway data folder:

* the tile build through the app's background job (2 worker processes), with its progress,
  its time, its peak memory and the size of the tile store;
* tile latency over a fixed list of tiles at zooms 6–14 (each of Zhengzhou, Luoyang, Nanyang
  at every zoom, and every tile covering Henan at z6–8), requested over HTTP from the app under
  waitress in its own process: cold = each tile's first request since the process started,
  warm = its second; p50 and p95;
* the overview (``/``) in headless Chromium with the big layer switched on (as it is by
  default): bytes transferred (library assets under /vendor apart) and the time until every
  layer is drawn (``window.atlasReady`` and no tile still loading); the first load after the
  server started, then the median of three more, each with a cold browser cache;
* the server's resident memory (now and peak) after all of that.

The machine's load average is printed beside the figures: others share its two cores.

    .venv/bin/python benchmarks/bench_tiles.py [--points 10k 1m] [--polygons 100k] [--quick] [--build-only]

``--build-only`` stops each case after the build (no server, no browser): the figures the build
target is about, in a fraction of the time.
"""

from __future__ import annotations

import tiles_common as tc

OVERVIEW_RUNS = 3


def run(case, tiles, build_only: bool = False) -> dict:
    print(f"\n== {case.label} (layer {case.layer}), {tc.load_average()}", flush=True)
    with tc.prepared(case) as (data, version):
        service = tc.service_on(data)
        built = tc.build(service, case.layer, version)
        meta = service.engine.ready(case.layer, version)
        store_mb = service.engine.size_bytes(case.layer, version) / 2**20
        print(f"  tile store: {store_mb:.1f} MB; every feature from z{meta['detail_minzoom']} to "
              f"z{meta['maxzoom']} (the data max zoom, over-zoomed beyond), counted clusters below",
              flush=True)
        if build_only:
            return {"case": case, "build": built, "store_mb": store_mb, "detail": meta["detail_minzoom"],
                    "maxzoom": meta["maxzoom"], "load": tc.load_average()}
        first_start = tc.first_start(data)
        tiles = tc.over_zoomed(tiles, meta["maxzoom"])
        with tc.Server(data) as server:
            lat = tc.latency(server, case.layer, version, tiles)
            tc.print_latency("tiles", lat)
            rss_tiles = server.memory_mb()[0]
            first, median = tc.overview(server.url, OVERVIEW_RUNS)
            rss, peak = server.memory_mb()
            print(f"  server memory: {server.rss_start:.0f} MB after start, {rss_tiles:.0f} MB after the "
                  f"tiles, {rss:.0f} MB after the overview; peak {peak:.0f} MB", flush=True)
    return {"case": case, "build": built, "store_mb": store_mb, "detail": meta["detail_minzoom"],
            "maxzoom": meta["maxzoom"], "lat": lat,
            "first": first, "median": median, "rss": rss, "peak": peak, "load": tc.load_average(),
            "first_start": first_start, "start": server.started_s}


def report_builds(rows: list[dict]) -> None:
    print("\nEmbedded engine (MBTiles), tile builds through the app's background job (2 workers)")
    print(f"{'case':<14} {'detail':>6} {'max z':>5} {'build s':>8} {'CPU s':>6} {'build MB':>9} "
          f"{'store MB':>9}  load")
    for r in rows:
        built = r["build"]
        print(f"{r['case'].label:<14} {'z' + str(r['detail']):>6} {'z' + str(r['maxzoom']):>5} "
              f"{built.seconds:>8.1f} {built.cpu_seconds:>6.0f} {built.peak_rss_mb:>9.0f} "
              f"{r['store_mb']:>9.1f}  {r['load']}")
    print("\ndetail: every feature from this zoom, counted clusters below; max z: the data max zoom (clients "
          "over-zoom beyond); CPU s and build MB: CPU time and peak memory of the build job and its workers.")
    for r in rows:
        if r["case"].kind == "polygons":
            seconds, target = r["build"].seconds, tc.TARGETS["build_s"]
            print(f"  {r['case'].label:<14} build ≤{target} s: {seconds:.0f} {tc.verdict(seconds, target)}")


def report(rows: list[dict], n_tiles: int) -> None:
    print(f"\nEmbedded engine (MBTiles), fixed list of {n_tiles} tiles at z6–14, waitress on 127.0.0.1, "
          "overview 1400×900 headless Chromium")
    columns = [("case", 14), ("detail", 6), ("build s", 8), ("CPU s", 6), ("build MB", 9), ("store MB", 9),
               ("cold p50", 9), ("cold p95", 9), ("warm p50", 9), ("warm p95", 9), ("page KB", 8),
               ("drawn ms", 9), ("1st ms", 7), ("starts s", 9), ("RSS MB", 7), ("peak MB", 8)]
    head = " ".join(f"{name:<{width}}" if name == "case" else f"{name:>{width}}" for name, width in columns)
    print(head + "  load")
    print("-" * (len(head) + 6))
    for r in rows:
        lat, built = r["lat"], r["build"]
        values = [r["case"].label, f"z{r['detail']}", f"{built.seconds:.1f}", f"{built.cpu_seconds:.0f}",
                  f"{built.peak_rss_mb:.0f}", f"{r['store_mb']:.1f}",
                  *(f"{v:.1f}" for v in (*lat.pct(lat.cold), *lat.pct(lat.warm))),
                  f"{r['median']['kb']:.0f}", f"{r['median']['drawn_ms']:.0f}",
                  f"{r['first']['drawn_ms']:.0f}", f"{r['first_start']:.0f}/{r['start']:.0f}",
                  f"{r['rss']:.0f}", f"{r['peak']:.0f}"]
        print(" ".join(f"{v:<{w}}" if name == "case" else f"{v:>{w}}"
                       for v, (name, w) in zip(values, columns, strict=True)) + f"  {r['load']}")
    print("\ndetail: every feature from this zoom, counted clusters below; CPU s and build MB: CPU time and "
          "peak memory of the build job and its workers; page KB and drawn ms: median of cold-cache loads "
          "(1st ms: the first load after the server started); starts s: the app's first start on the data "
          "(it gives every zone a quota-ledger row) / the start of the measured server; RSS: that server "
          "after the tiles and the overview, peak: its highest.")
    print("\nTargets (issue 10):")
    for r in rows:
        lat, name = r["lat"], r["case"].label
        warm95, cold95 = lat.pct(lat.warm)[1], lat.pct(lat.cold)[1]
        checks = [
            (f"overview ≤{tc.TARGETS['page_kb']} KB", r["median"]["kb"], tc.TARGETS["page_kb"]),
            (f"drawn ≤{tc.TARGETS['drawn_ms']} ms", r["median"]["drawn_ms"], tc.TARGETS["drawn_ms"]),
            (f"warm p95 ≤{tc.TARGETS['warm_p95']} ms", warm95, tc.TARGETS["warm_p95"]),
            (f"cold p95 ≤{tc.TARGETS['cold_p95']} ms", cold95, tc.TARGETS["cold_p95"]),
            (f"RSS ≤{tc.TARGETS['rss_mb']} MB", r["peak"], tc.TARGETS["rss_mb"]),
        ]
        if r["case"].kind == "polygons":
            checks.append((f"build ≤{tc.TARGETS['build_s']} s", r["build"].seconds, tc.TARGETS["build_s"]))
        print(f"  {name:<14} " + "; ".join(f"{label}: {value:.0f} {tc.verdict(value, target)}"
                                           for label, value, target in checks))
    print("  (the issue sets the page, memory and build targets for the 1M layers; smaller ones are shown "
          "for scale)")


def main() -> None:
    args, cases = tc.parse_cases(__doc__.splitlines()[0], build_only=True)
    tiles = tc.fixed_tiles()
    rows = [run(case, tiles, args.build_only) for case in cases]
    (report_builds(rows) if args.build_only else report(rows, len(tiles)))


if __name__ == "__main__":
    main()
