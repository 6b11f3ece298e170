"""OGC API – Features beside pygeoapi, on the same data in the same run: p50 per request kind.

Both servers run in their own process on 127.0.0.1 as threaded werkzeug servers, and every
request opens a new connection, so each runs on a new thread — as under a threaded production
server — and any per-thread cost (a transformer rebuilt per thread once cost ~0.5 s) shows.

The collection is FICTIONAL: random points over Henan, named "fictional-100k", written to a
GeoPackage in a throwaway folder that both servers read. The atlas runs on a throwaway data
folder and database too: this benchmark never touches data/ or the served database.

    .venv/bin/python benchmarks/bench_ogc.py [--n 100000] [--repeat 30]

pygeoapi runs from a virtualenv of its own (never the project's); its GeoPackage provider needs
SpatiaLite and a Python whose sqlite3 can load extensions (Debian's python3 can):

    apt-get install libsqlite3-mod-spatialite
    /usr/bin/python3 -m venv /tmp/pygeoapi-venv && /tmp/pygeoapi-venv/bin/pip install pygeoapi

It is looked for in $PYGEOAPI_VENV (default /tmp/pygeoapi-venv); without it the atlas runs alone.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CID = "fictional-100k"
EPSG3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
PYGEOAPI_VENV = Path(os.environ.get("PYGEOAPI_VENV", "/tmp/pygeoapi-venv"))
PYGEOAPI_SERVE = """
import sys
from werkzeug.serving import WSGIRequestHandler, make_server
from pygeoapi.flask_app import APP
WSGIRequestHandler.log_request = lambda *a, **k: None
make_server("127.0.0.1", int(sys.argv[1]), APP, threaded=True).serve_forever()
"""


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
        crs="OGC:CRS84")


def serve_atlas(gpkg: str) -> None:
    """Child process: the atlas on a throwaway data folder, with the fictional collection.
    Stopped by SIGTERM, it leaves through the ``with`` so the folder is removed."""
    from throwaway import throwaway_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    from layers.ogc.features import Collection

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    frame = gpd.read_file(gpkg, engine="pyogrio")
    with throwaway_app() as app:
        app.extensions["atlas_ogc"].add(Collection(
            CID, "虚构点（基准测试）", "Fictional points (benchmark)", "虚构数据", "Fictional data",
            "id", load=lambda: frame, stamp=lambda: 1))
        WSGIRequestHandler.log_request = lambda *a, **k: None
        server = make_server("127.0.0.1", 0, app, threaded=True)
        print(f"PORT {server.server_port}", flush=True)
        server.serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pygeoapi_config(gpkg: Path, port: int) -> dict:
    text = {"title": "Fictional points (benchmark)", "description": "Fictional data"}
    return {
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": f"http://127.0.0.1:{port}",
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "language": "en-US", "cors": True, "pretty_print": False,
                   "limits": {"default_items": 10, "max_items": 10000},
                   "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"}},
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {**text, "keywords": ["benchmark"], "keywords_type": "theme",
                               "terms_of_service": "none", "url": "http://127.0.0.1"},
            "license": {"name": "none", "url": "http://127.0.0.1"},
            "provider": {"name": "benchmark", "url": "http://127.0.0.1"},
            "contact": {"name": "benchmark", "email": "none@example.org",
                        "url": "http://127.0.0.1", "role": "pointOfContact"}},
        "resources": {CID: {
            "type": "collection", **text, "keywords": ["benchmark"],
            "links": [],
            "extents": {"spatial": {"bbox": [110.4, 31.4, 116.6, 36.3],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "providers": [{"type": "feature", "name": "SQLiteGPKG", "data": str(gpkg),
                           "id_field": "id", "table": "fictional",
                           "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84", EPSG3857,
                                   "http://www.opengis.net/def/crs/EPSG/0/4326"]}]}},
    }


def start_pygeoapi(gpkg: Path, folder: Path) -> tuple[subprocess.Popen, str] | None:
    python = PYGEOAPI_VENV / "bin" / "python"
    if not python.exists():
        print(f"pygeoapi: not run — no virtualenv at {PYGEOAPI_VENV}. To compare, install it apart "
              "from the project's dependencies:\n    apt-get install libsqlite3-mod-spatialite\n"
              f"    /usr/bin/python3 -m venv {PYGEOAPI_VENV} && {PYGEOAPI_VENV}/bin/pip install "
              "pygeoapi\n")
        return None
    port = free_port()
    config, openapi = folder / "pygeoapi.config.yml", folder / "pygeoapi.openapi.yml"
    config.write_text(json.dumps(pygeoapi_config(gpkg, port)))  # JSON is YAML
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    subprocess.run([str(PYGEOAPI_VENV / "bin" / "pygeoapi"), "openapi", "generate", str(config),
                    "--output-file", str(openapi)], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([str(python), "-c", PYGEOAPI_SERVE, str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}"


def start_atlas(gpkg: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve-atlas", str(gpkg)],
                            stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("PORT "):
            return proc, f"http://127.0.0.1:{int(line.split()[1])}/ogc"
    raise SystemExit("the atlas did not start")


def fetch(url: str) -> tuple[float, dict]:
    """(milliseconds, parsed JSON) of one GET on a new connection."""
    request = urllib.request.Request(url, headers={"Accept": "application/geo+json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as r:
        body = r.read()
    return (time.perf_counter() - start) * 1000, json.loads(body)


def wait_until_up(url: str, proc: subprocess.Popen, name: str) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"{name} stopped: {proc.stderr.read() if proc.stderr else ''}")
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not answer at {url}")


def request_kinds(n: int) -> dict[str, str]:
    """Request kind -> path and query under a collection's items, all pages of 100."""
    return {
        "items": "items?limit=100",
        "paging": "items?limit=100&offset=100",  # the next link of the first page
        "offset": f"items?limit=100&offset={n - 1000}",
        "bbox": "items?limit=100&bbox=113.4,34.6,113.9,34.9",
        "single item": f"items/fict-{n - 1000:06d}",
        "crs": f"items?limit=100&crs={EPSG3857}",
    }


def p50s(urls: dict, repeat: int) -> tuple[dict, dict]:
    """(p50 ms, first answer) per key of ``urls``. The requests take turns, one of each per
    round, so a busy moment on this shared machine falls on every kind and server alike."""
    docs = {key: fetch(url)[1] for key, url in urls.items()}  # warm: caches, not threads
    times = {key: [] for key in urls}
    for _ in range(repeat):
        for key, url in urls.items():
            times[key].append(fetch(url)[0])
    return {key: statistics.median(ms) for key, ms in times.items()}, docs


def returned(doc: dict) -> int:
    return len(doc["features"]) if "features" in doc else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--serve-atlas", metavar="GPKG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_atlas:
        serve_atlas(args.serve_atlas)
        return

    with tempfile.TemporaryDirectory(prefix="sei-bench-ogc-") as tmp:
        folder = Path(tmp)
        gpkg = folder / "fictional.gpkg"
        fictional_points(args.n).to_file(gpkg, layer="fictional", engine="pyogrio")
        servers = {"atlas": start_atlas(gpkg)}
        peer = start_pygeoapi(gpkg, folder)
        if peer:
            servers["pygeoapi"] = peer
        try:
            for name, (proc, base) in servers.items():
                wait_until_up(f"{base}/collections/{CID}/items?limit=1", proc, name)
            kinds = request_kinds(args.n)
            ms, docs = p50s({(name, kind): f"{base}/collections/{CID}/{path}"
                             for name, (_, base) in servers.items()
                             for kind, path in kinds.items()}, args.repeat)
            print(f"FICTIONAL collection '{CID}': {args.n:,} random points over Henan, one "
                  f"GeoPackage read by both servers; p50 of {args.repeat} requests, each on a new "
                  f"connection and thread; load average {os.getloadavg()[0]:.1f} on "
                  f"{os.cpu_count()} cores\n")
            print(f"{'request kind':<13} {'atlas ms':>9} {'pygeoapi ms':>12} {'ratio':>7}  features")
            for kind in kinds:
                atlas, doc = ms["atlas", kind], docs["atlas", kind]
                line = f"{kind:<13} {atlas:9.1f}"
                if peer:
                    other = docs["pygeoapi", kind]
                    line += f" {ms['pygeoapi', kind]:12.1f} {ms['pygeoapi', kind] / atlas:6.1f}×"
                    if returned(other) != returned(doc):
                        line += f"  (pygeoapi returned {returned(other)})"
                print(f"{line}  {returned(doc)}")
            items = ms["atlas", "items"]
            print("\nratio = pygeoapi / atlas (above 1: the atlas is faster). Atlas on new threads: "
                  f"bbox {ms['atlas', 'bbox'] / items:.2f}×, crs {ms['atlas', 'crs'] / items:.2f}× "
                  "a plain items page (target ≤1.5×).")
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
