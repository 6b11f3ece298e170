"""What the two tile benchmarks share (``bench_tiles.py``, embedded; ``bench_tiles_postgis.py``,
beside PostGIS ``ST_AsMVT``): the fictional cases, the fixed tile list, builds through the
app's own background job, the app served by waitress in a process of its own, tile latency,
the overview in headless Chromium, and the printed figures.

Every case runs on a :mod:`throwaway` data folder (and, for PostGIS, a throwaway schema): the
served data is never touched. Run as a script only as that server process:
``python benchmarks/tiles_common.py serve DATA_DIR ENGINE [DATABASE_URL]``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]
sys.path.append(str(ROOT / "tests"))  # conftest: Chromium as the browser tests launch it, fresh_schema

from throwaway import app_on, throwaway_data  # noqa: E402

#: places whose tile is requested at every zoom from 6 to 14 (lon, lat)
PLACES = {"Zhengzhou": (113.625, 34.747), "Luoyang": (112.454, 34.620), "Nanyang": (112.528, 32.991)}
#: every tile covering Henan is requested at these zooms
PROVINCE_ZOOMS = (6, 7, 8)
DEFAULT_POINTS = (10_000, 100_000, 1_000_000)
DEFAULT_POLYGONS = (100_000, 1_000_000)
QUICK = 10_000  # --quick: one small layer of each kind, for CI
LAYER_OF = {"points": "projects", "polygons": "zones"}
TARGETS = {"page_kb": 1024, "drawn_ms": 1500, "warm_p95": 20, "cold_p95": 200, "rss_mb": 1536,
           "build_s": 180}


@dataclass(frozen=True)
class Case:
    kind: str  # "points" | "polygons"
    n: int

    @property
    def layer(self) -> str:
        return LAYER_OF[self.kind]

    @property
    def label(self) -> str:
        n = f"{self.n // 1_000_000}M" if self.n % 1_000_000 == 0 else f"{self.n // 1000}k"
        return f"{n} {self.kind}"


def count(text: str) -> int:
    """``10k``, ``1m`` or ``2500`` as a number of features."""
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def parse_cases(description: str, *, build_only: bool = False) -> tuple[argparse.Namespace, list[Case]]:
    """The cases asked for; ``build_only``: offer ``--build-only`` (the build figures alone)."""
    parser = argparse.ArgumentParser(description=description)
    if build_only:
        parser.add_argument("--build-only", action="store_true",
                            help="only the tile build: its time, CPU, memory and store "
                                 "(no server, no browser)")
    parser.add_argument("--points", type=count, nargs="*", metavar="N",
                        help="point layer sizes (layer projects), e.g. 10k 1m; default 10k 100k 1m")
    parser.add_argument("--polygons", type=count, nargs="*", metavar="N",
                        help="parcel layer sizes (layer zones), e.g. 100k; default 100k 1m")
    parser.add_argument("--quick", action="store_true",
                        help=f"CI size: {QUICK:,} points and {QUICK:,} parcels")
    args = parser.parse_args()
    if args.quick:
        points, polygons = [QUICK], [QUICK]
    elif args.points is None and args.polygons is None:
        points, polygons = DEFAULT_POINTS, DEFAULT_POLYGONS
    else:
        points, polygons = args.points or [], args.polygons or []
    return args, [Case("points", n) for n in points] + [Case("polygons", n) for n in polygons]


def load_average() -> str:
    return "load " + "/".join(f"{v:.1f}" for v in os.getloadavg())


def note(text: str) -> None:
    print(f"  {text}", flush=True)


# ----- data and builds ----------------------------------------------------------------------------

@contextmanager
def prepared(case: Case) -> Iterator[tuple[Path, str]]:
    """A throwaway data folder serving ``case`` as an imported version of its layer; yields the
    folder and the version."""
    from synthetic import fictional_parcels, fictional_points, install_layer

    from parks.catalog import Catalog

    with throwaway_data() as data:
        start = time.perf_counter()
        make = fictional_points if case.kind == "points" else fictional_parcels
        version = install_layer(data, case.layer, make(Catalog(data), case.layer, case.n))
        note(f"data: {case.label} (fictional) written as {case.layer} {version} in "
             f"{time.perf_counter() - start:.1f} s")
        yield data, version


def service_on(data: Path, engine: str = "embedded", database_url: str = ""):
    from layers.tiles.service import make_service
    from parks.catalog import Catalog

    return make_service(Catalog(data), engine=engine, database_url=database_url)


def _tree_usage(pid: int) -> tuple[int, float]:
    """(resident bytes, CPU seconds) of process ``pid`` and its children, finished ones included."""
    import psutil

    try:
        process = psutil.Process(pid)
        tree = [process, *process.children(recursive=True)]
        rss = sum(p.memory_info().rss for p in tree)
        times = process.cpu_times()
        cpu = times.children_user + times.children_system + sum(sum(p.cpu_times()[:2]) for p in tree)
        return rss, cpu
    except psutil.Error:
        return 0, 0.0


@dataclass(frozen=True)
class Build:
    seconds: float
    cpu_seconds: float  # of the job and its workers (a database server's own work apart)
    peak_rss_mb: float


def build(service, layer: str, version: str) -> Build:
    """Build through the app's background job (``python -m layers.tiles.jobs``, 2 workers), as an
    import does, printing its progress; the job's memory and CPU time (workers included) are
    sampled — CPU time says what an idle machine would take, whoever else shares it."""
    from layers.tiles import jobs

    start = time.perf_counter()
    state = service.start_build(layer, version)
    pid, last, peak, cpu = state.get("pid"), None, 0, 0.0
    while state["state"] == jobs.RUNNING:
        step = (state.get("done"), state.get("total"), state.get("step"))
        if step != last:
            note(f"  [{step[0]}/{step[1]}] {step[2]:<16} {time.perf_counter() - start:6.1f} s")
            last = step
        rss, used = _tree_usage(pid)
        peak, cpu = max(peak, rss), max(cpu, used)
        time.sleep(0.2)
        state = service.job(jobs.job_id(layer, version))
    if state["state"] != jobs.DONE:
        raise SystemExit(f"the tile build of {layer} failed: {state.get('error')}")
    seconds = time.perf_counter() - start
    note(f"  built in {seconds:.1f} s, {cpu:.0f} CPU s, peak {peak / 2**20:.0f} MB ({service.engine.name}, "
         f"{load_average()})")
    return Build(seconds, cpu, peak / 2**20)


# ----- the fixed tile list ------------------------------------------------------------------------

def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)
    return z, min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def fixed_tiles() -> list[tuple[int, int, int]]:
    """The tiles every run requests, in this order: each of :data:`PLACES` at zooms 6–14, and
    every tile covering Henan's bounding box at :data:`PROVINCE_ZOOMS`."""
    from layers.web.overview import HENAN_BBOX

    (south, west), (north, east) = HENAN_BBOX
    tiles = {tile_of(lon, lat, z) for lon, lat in PLACES.values() for z in range(6, 15)}
    for z in PROVINCE_ZOOMS:
        _, x0, y0 = tile_of(west, north, z)
        _, x1, y1 = tile_of(east, south, z)
        tiles |= {(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)}
    return sorted(tiles)


# ----- the app in a server process of its own -----------------------------------------------------

def serve(data: str, engine: str, database_url: str = "") -> None:
    """The server process: the app on ``data`` under waitress, as ``make serve`` runs it."""
    from waitress import create_server

    app = app_on(Path(data), {"VECTOR_TILE_ENGINE": engine}, database_url=database_url or None)
    server = create_server(app, host="127.0.0.1", port=0, threads=16)
    print(f"PORT {server.effective_port}", flush=True)
    server.run()


class Server:
    """``with Server(data, engine) as server:`` — a fresh server process; ``server.url``,
    ``server.memory_mb()``."""

    def __init__(self, data: Path, engine: str = "embedded", database_url: str = ""):
        self.args = [sys.executable, __file__, "serve", str(data), engine, database_url]

    def __enter__(self) -> Server:
        start = time.perf_counter()
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        for line in self.process.stdout:
            if line.startswith("PORT "):
                self.url = f"http://127.0.0.1:{int(line.split()[1])}"
                self.started_s = time.perf_counter() - start
                self.rss_start = self.memory_mb()[0]
                note(f"server ({self.args[4]}) up in {self.started_s:.1f} s, {self.rss_start:.0f} MB")
                return self
        raise SystemExit("the tile server did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)

    def memory_mb(self) -> tuple[float, float]:
        """(resident now, peak resident) of the server process, MB."""
        status = dict(line.split(":", 1) for line in
                      Path(f"/proc/{self.process.pid}/status").read_text().splitlines() if ":" in line)
        return tuple(int(status[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def first_start(data: Path, database_url: str = "") -> float:
    """Start the app on ``data`` once and stop it; returns how long it took to start. A first
    start gives every park and zone its quota-ledger row (a 1M-zone layer: minutes), so the
    servers measured next start as they would on any later day."""
    with Server(data, "embedded", database_url) as server:
        return server.started_s


# ----- tile latency ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Latency:
    cold: list[float]
    warm: list[float]
    statuses: dict[int, int]
    kb: list[float]

    @staticmethod
    def pct(values: list[float]) -> tuple[float, float]:
        return tuple(float(v) for v in np.percentile(values, [50, 95]))


def tile_pass(url: str, layer: str, version: str, tiles) -> list[tuple[float, int, int]]:
    """(ms, status, bytes) of each tile, one after the other on one keep-alive connection,
    gzip accepted, the versioned URL the map's TileJSON gives."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    out = []
    for z, x, y in tiles:
        start = time.perf_counter()
        conn.request("GET", f"/tiles/{layer}/{z}/{x}/{y}.mvt?v={quote(version)}",
                     headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
        out.append(((time.perf_counter() - start) * 1000, response.status, len(body)))
        if response.status not in (200, 204):
            raise SystemExit(f"tile {z}/{x}/{y}: HTTP {response.status}: {body[:300]!r}")
    conn.close()
    return out


def over_zoomed(tiles, maxzoom: int) -> list[tuple[int, int, int]]:
    """``tiles`` as a map asks for them from a tile set ending at ``maxzoom``: a view above it
    is drawn from its ancestor at ``maxzoom`` (over-zoom), each tile once, in order."""
    asked = {}
    for z, x, y in tiles:
        shift = max(z - maxzoom, 0)
        asked.setdefault((z - shift, x >> shift, y >> shift), None)
    return list(asked)


def latency(server: Server, layer: str, version: str, tiles) -> Latency:
    """Cold: each tile's first request since the server process started; warm: its second."""
    cold = tile_pass(server.url, layer, version, tiles)
    warm = tile_pass(server.url, layer, version, tiles)
    statuses: dict[int, int] = {}
    for _, status, _ in cold:
        statuses[status] = statuses.get(status, 0) + 1
    return Latency([c[0] for c in cold], [w[0] for w in warm], statuses,
                   [c[2] / 1024 for c in cold if c[1] == 200])


def print_latency(name: str, lat: Latency) -> None:
    (c50, c95), (w50, w95) = lat.pct(lat.cold), lat.pct(lat.warm)
    sizes = f"tiles {np.mean(lat.kb):.1f} KB mean, {max(lat.kb):.1f} KB max (gzip)" if lat.kb else "no tiles"
    note(f"{name}: cold p50 {c50:.1f} ms p95 {c95:.1f} ms (max {max(lat.cold):.0f}); warm p50 {w50:.1f} ms "
         f"p95 {w95:.1f} ms; {len(lat.cold)} tiles, HTTP {lat.statuses}; {sizes}; {load_average()}")


# ----- the overview in headless Chromium ------------------------------------------------------------

#: true once every layer is drawn: the page's own signal, then no tiled layer still loading
#: (protomaps-leaflet is a Leaflet GridLayer: a tile counts once it is rendered)
DRAWN = """() => {
  if (window.atlasReady !== true) { return false; }
  const tiled = (window.atlasTiles && window.atlasTiles.layers) || [];
  if (tiled.some(t => t.layer.isLoading())) { return false; }
  window.benchDrawnMs = window.benchDrawnMs || performance.now();
  const nav = performance.getEntriesByType("navigation")[0];
  return {drawn: window.benchDrawnMs, ready: window.atlasReadyMs, html: nav.responseEnd, tiled: tiled.length};
}"""
LIBRARY_ASSETS = ("/vendor/", "/static/vendor/")


def _load_overview(browser, url: str) -> dict:
    """One load of ``/`` in a fresh context (cold browser cache), bytes counted by CDP."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls, sizes, outside = {}, [], []
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.append((urls.get(e["requestId"], ""),
                                                               e["encodedDataLength"])))
    page.on("request", lambda r: None if r.url.startswith(url) or r.url.startswith("data:")
            else outside.append(r.url))
    page.goto(f"{url}/?lang=zh", timeout=600_000)
    done = page.wait_for_function(DRAWN, polling="raf", timeout=600_000).json_value()
    page.wait_for_timeout(200)  # the last loadingFinished events
    context.close()
    if outside:
        raise SystemExit(f"requests outside the app: {outside[:5]}")
    own = [(u, n) for u, n in sizes if not urlsplit(u).path.startswith(LIBRARY_ASSETS)]
    tiles = [n for u, n in own if ".mvt" in u]
    return {"drawn_ms": done["drawn"], "ready_ms": done["ready"], "html_ms": done["html"],
            "tiled": done["tiled"], "kb": sum(n for _, n in own) / 1024, "tile_kb": sum(tiles) / 1024,
            "tiles": len(tiles),
            "library_kb": sum(n for u, n in sizes if urlsplit(u).path.startswith(LIBRARY_ASSETS)) / 1024}


def overview(url: str, runs: int) -> tuple[dict, dict]:
    """The first load of ``/`` after the server started and the median of ``runs`` more, each in
    a fresh browser context (Chromium as the browser tests launch it)."""
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        first = _load_overview(browser, url)
        rest = [_load_overview(browser, url) for _ in range(runs)]
        browser.close()
    median = {k: float(np.median([r[k] for r in rest])) for k in first}
    for name, load in (("first load", first), (f"median of {runs}", median)):
        note(f"overview {name}: {load['kb']:.0f} KB transferred ({load['tiles']:.0f} tiles, "
             f"{load['tile_kb']:.0f} KB; library assets apart: {load['library_kb']:.0f} KB), "
             f"drawn {load['drawn_ms']:.0f} ms (page HTML in {load['html_ms']:.0f} ms, atlasReady "
             f"{load['ready_ms']:.0f} ms); {load_average()}")
    if not first["tiled"]:
        raise SystemExit("the overview drew no layer from tiles: the big layer was not switched on")
    return first, median


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(*sys.argv[2:])
