"""Overview map: bytes transferred and time until every layer is drawn, in headless Chromium.

Starts the app on 127.0.0.1 (a free port, the shipped layers in a throwaway data folder), loads
``/`` in a fresh browser context (cold cache) several times and prints, per run, the bytes
transferred for the page and its data (library assets under /vendor/ apart: they are cacheable
and shared by every page) and the time from navigation start until ``window.atlasReady``
(boundaries fetched and drawn) and the offline basemap's first tiles are drawn
(``window.atlasBasemap.drawnMs``). Targets (DESIGN.md): under 600 KB and under 1 s.
Run: ``.venv/bin/python benchmarks/bench_overview.py``.
"""

from __future__ import annotations

import logging
import shutil
import statistics
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from throwaway import throwaway_app  # noqa: E402

RUNS = 5
TARGET_BYTES = 600 * 1024
TARGET_MS = 1000
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

RESOURCES = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const rows = [[nav.name, nav.transferSize, nav.decodedBodySize]];
  for (const r of performance.getEntriesByType('resource')) {
    rows.push([r.name, r.transferSize, r.decodedBodySize]);
  }
  return {rows, layersMs: window.atlasReadyMs,
          readyMs: Math.max(window.atlasReadyMs, window.atlasBasemap.drawnMs)};
}"""


def measure(browser, url: str, lang: str) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    outside = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
               else (outside.append(route.request.url), route.abort()))
    page.goto(f"{url}/?lang={lang}")
    page.wait_for_function("() => window.atlasReady === true && window.atlasBasemap.drawnMs !== null",
                           timeout=30000)
    result = page.evaluate(RESOURCES)
    context.close()
    if outside:
        raise SystemExit(f"requests outside the app: {outside}")
    own = [r for r in result["rows"] if "/vendor/" not in r[0]]
    vendor = [r for r in result["rows"] if "/vendor/" in r[0]]
    return {"ready_ms": result["readyMs"], "layers_ms": result["layersMs"], "bytes": sum(r[1] for r in own),
            "raw": sum(r[2] for r in own), "vendor": sum(r[1] for r in vendor), "rows": own}


def main() -> int:
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with throwaway_app() as app, sync_playwright() as pw:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu",
                                               "--disable-background-networking"])
            measure(browser, url, "zh")  # warm the server's caches (simplified boundaries, basemap tiles)
            runs = [measure(browser, url, lang) for lang in ("zh", "en") for _ in range(RUNS)]
            browser.close()
        finally:
            server.shutdown()
    print("overview map (/), cold browser cache, 1400×900, loopback")
    print(f"{'resource':64} {'transferred':>12} {'decoded':>10}")
    for name, sent, raw in runs[0]["rows"]:
        print(f"{name.replace(url, ''):64} {sent:>12,} {raw:>10,}")
    ready = [r["ready_ms"] for r in runs]
    sent = [r["bytes"] for r in runs]
    decoded, vendor = runs[0]["raw"] / 1024, runs[0]["vendor"] / 1024
    print(f"page + data transferred: {statistics.median(sent) / 1024:.0f} KB (decoded {decoded:.0f} KB; "
          f"/vendor assets apart: {vendor:.0f} KB) — target < {TARGET_BYTES // 1024} KB")
    layers = statistics.median(r["layers_ms"] for r in runs)
    print(f"time to the thematic layers and boundaries drawn (window.atlasReady): median {layers:.0f} ms")
    print(f"time to every layer and the basemap drawn: median {statistics.median(ready):.0f} ms, "
          f"max {max(ready):.0f} ms over {len(ready)} loads — target < {TARGET_MS} ms")
    ok = statistics.median(sent) < TARGET_BYTES and statistics.median(ready) < TARGET_MS
    print("targets met" if ok else "TARGETS MISSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
