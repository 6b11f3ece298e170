"""Load test on loopback: the production server under a mix of map pages, layer API, OGC items
and parcel checks, for a fixed time, with locust (headless, in this process).

    .venv/bin/python benchmarks/bench_load.py [--seconds 60] [--users 25] [--server gunicorn]
                                              [--exports 16]

Starts ``scripts/serve-production.sh`` on a free port on a throwaway data folder and SQLite
database (:mod:`throwaway`), runs the simulated users, and prints requests per second,
p50/p95/p99 latency and errors per kind of request. ``--exports N`` adds N anonymous users
asking for A3 300 dpi exports over and over (beyond the export queue they get 503 with
Retry-After, counted apart, not as errors), and a monitor polls ``/healthz`` every second.
Target on the 2-core reference machine: no errors, p95 under 300 ms for map pages, API
requests and ``/healthz``. The upload rate limit is raised for the run (one simulated clerk
uploads far more often than any person).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import requests  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throwaway import throwaway_app  # noqa: E402

PARK01 = (113.846, 34.549)
PAGES = ["/", "/parks/park-01", "/parks/park-05", "/views/built-up", "/parks/"]
LAYERS = ["/api/layers/parks", "/api/layers/zones", "/api/layers/projects", "/api/layers/clusters",
          "/api/layers/boundaries?level=city&tolerance=800", "/api/layers"]
OGC = ["/ogc/collections/projects/items?limit=50", "/ogc/collections/parks/items?limit=20&f=json",
       "/ogc/collections/boundaries-county/items?limit=10&bbox=113,34,114.5,35",
       "/ogc/collections/zones/items/zone-01"]
GROUPS = {"map page": PAGES, "layer API": LAYERS, "OGC items": OGC}


def parcel_geojson() -> bytes:
    """One 300 m × 200 m parcel near park-01, shifted a little each time."""
    lon = PARK01[0] + random.uniform(-0.004, 0.004)
    lat = PARK01[1] + random.uniform(-0.004, 0.004)
    dx, dy = 300 / 91_700, 200 / 111_000
    ring = [[lon, lat], [lon + dx, lat], [lon + dx, lat + dy], [lon, lat + dy], [lon, lat]]
    return json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::4490"}}, "features": [{"type": "Feature", "properties": {
            "name": "地块"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}).encode()


class Planner(HttpUser):
    """Browses the maps and pulls layers, like the planners and GIS clients do."""

    wait_time = between(0.5, 1.5)
    weight = 4

    @task(3)
    def map_page(self):
        self.client.get(random.choice(PAGES), name="map page")

    @task(4)
    def layer(self):
        self.client.get(random.choice(LAYERS), name="layer API")

    @task(3)
    def ogc(self):
        self.client.get(random.choice(OGC), name="OGC items")


class Clerk(HttpUser):
    """Checks parcel files and reads the ledger."""

    wait_time = between(1, 3)
    weight = 1
    token = ""

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {Clerk.token}"

    @task(2)
    def check(self):
        self.client.post("/api/quota/check", name="parcel check",
                         files={"file": ("parcel.geojson", io.BytesIO(parcel_geojson()))})

    @task(1)
    def ledger(self):
        self.client.get("/api/quota/ledger", name="ledger API")


class Exporter(HttpUser):
    """Asks for an A3 300 dpi sheet of the province again and again, signed out (how the review
    tied up every worker); ``fixed_count`` is set from ``--exports``."""

    wait_time = between(1, 2)
    fixed_count = 0

    @task
    def export(self):
        with self.client.get("/api/export?paper=A3&dpi=300", name="A3 export",
                             catch_response=True) as r:
            if r.status_code == 503 and r.headers.get("Retry-After"):
                r.success()
                Exporter.refused += 1
            elif r.status_code != 200:
                r.failure(f"{r.status_code}")

    refused = 0


class Monitor(HttpUser):
    """The load balancer's health check, once a second."""

    wait_time = between(1, 1)
    fixed_count = 1

    @task
    def health(self):
        self.client.get("/healthz", name="healthz")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(app) -> tuple[dict, str]:
    """A clerk's API token in the throwaway ``app``'s database; returns (the environment that
    serves the same data folder and database, token)."""
    from store import accounts
    from web.auth import database

    work = Path(app.config["DATA_DIR"]).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEI_ATLAS_")}
    env.update(SEI_ATLAS_DATA_DIR=app.config["DATA_DIR"], SEI_ATLAS_DATABASE_URL=app.config["DATABASE_URL"],
               SEI_ATLAS_SECRET_KEY=os.urandom(32).hex(), SEI_ATLAS_REQUEST_LOG=str(work / "requests.log"),
               SEI_ATLAS_UPLOAD_RATE_LIMIT="100000 per minute")
    with app.app_context(), database().write() as session:
        accounts.create_user(session, "load.clerk", "password-123", "viewer")
        token = accounts.new_api_token(session, "load.clerk")
    app.extensions["atlas_db"].dispose()
    return env, token


def start_server(env: dict, server: str, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(env, BIND=f"127.0.0.1:{port}", SERVER=server, WORKERS=str(workers), THREADS=str(threads),
               VENV=str(Path(sys.executable).parent.parent))
    proc = subprocess.Popen(["bash", "scripts/serve-production.sh"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def warm_up(url: str, rounds: int = 6) -> None:
    """Each URL a few times (each worker keeps its own caches), so the figures are of a running
    server, not of its first requests."""
    for _ in range(rounds):
        for paths in GROUPS.values():
            for path in paths:
                requests.get(url + path, timeout=60, headers={"Connection": "close"})


def report(env: Environment, seconds: float) -> bool:
    stats = env.stats
    print(f"{'request':<14}{'count':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}")
    ok = True
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        p50, p95, p99 = (entry.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99))
        print(f"{entry.name:<14}{entry.num_requests:>8}{entry.num_requests / seconds:>8.1f}"
              f"{p50:>8.0f}{p95:>8.0f}{p99:>8.0f}{entry.num_failures:>8}")
        if entry.name in GROUPS or entry.name in ("ledger API", "healthz"):
            ok &= p95 < 300
    total = stats.total
    print(f"{'total':<14}{total.num_requests:>8}{total.num_requests / seconds:>8.1f}"
          f"{total.get_response_time_percentile(0.5):>8.0f}{total.get_response_time_percentile(0.95):>8.0f}"
          f"{total.get_response_time_percentile(0.99):>8.0f}{total.num_failures:>8}")
    for error in stats.errors.values():
        print(f"  error: {error.method} {error.name}: {error.error} ×{error.occurrences}")
    ok &= total.num_failures == 0
    if Exporter.refused:
        print(f"A3 exports refused with 503 + Retry-After (queue full): {Exporter.refused}")
    print("target (no errors, p95 < 300 ms for map and API requests and /healthz):",
          "met" if ok else "NOT met")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--server", choices=["gunicorn", "waitress"], default="gunicorn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--exports", type=int, default=0, help="anonymous users exporting A3 sheets")
    args = parser.parse_args()
    Exporter.fixed_count = args.exports
    with throwaway_app() as app:
        server_env, Clerk.token = prepare(app)
        proc, url = start_server(server_env, args.server, args.workers, args.threads)
        try:
            warm_up(url)
            classes = [Planner, Clerk, Monitor] + ([Exporter] if args.exports else [])
            env = Environment(user_classes=classes, host=url)
            runner = env.create_local_runner()
            users = args.users + args.exports + 1
            runner.start(users, spawn_rate=users)
            started = time.time()
            gevent.spawn_later(args.seconds, runner.quit)
            runner.greenlet.join()
            elapsed = time.time() - started
            shape = (f"{args.workers} workers × {args.threads} threads" if args.server == "gunicorn"
                     else f"1 process, {args.workers * args.threads} threads")
            print(f"{args.users} users, {args.exports} exporters and a health monitor for {elapsed:.0f} s "
                  f"against {args.server} ({shape}) "
                  f"on {os.cpu_count()} CPUs, {url}")
            ok = report(env, elapsed)
            log = Path(server_env["SEI_ATLAS_REQUEST_LOG"])
            lines = len(log.read_text(encoding="utf-8").splitlines())
            print(f"request log: {lines} JSON lines")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:  # workers finish the exports they are rendering first (graceful_timeout)
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
