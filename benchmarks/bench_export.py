"""Export speed and size: A4 300 dpi PNG of the province with every layer (target under 3 s),
the same sheet as SVG and PDF, an A3 sheet, a park sheet, two renders at once, and a pitch pack.

    .venv/bin/python benchmarks/bench_export.py [DATA_DIR]

The layers are the shipped ones built in a throwaway folder, or a copy of DATA_DIR's (which is
only read). Times are the median of three runs after a warm-up (font loading and layer reading
excluded).
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throwaway import throwaway_data  # noqa: E402

from layers.print.pitch_pack import parse_pack_options, render_pack  # noqa: E402
from layers.print.render import render  # noqa: E402
from layers.print.sheet import parse_options  # noqa: E402
from parks.catalog import Catalog  # noqa: E402

TARGET_S = 3.0


def timed(fn, runs: int = 3):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    with throwaway_data(sys.argv[1] if len(sys.argv) > 1 else None) as data_dir:
        run(Catalog(data_dir))


def run(catalog: Catalog) -> None:
    render(catalog, parse_options({"dpi": "72"}))  # warm-up: fonts, layers, simplified boundaries

    print(f"{'sheet':<44} {'time s':>7} {'size':>10}")
    cases = [
        ("province A4 300 dpi PNG, all layers", {}),
        ("province A4 SVG, all layers", {"format": "svg"}),
        ("province A4 PDF, all layers", {"format": "pdf"}),
        ("province A4 landscape 150 dpi PNG, en", {"orientation": "landscape", "dpi": "150", "lang": "en"}),
        ("province A3 300 dpi PNG, all layers", {"paper": "A3"}),
        ("province revenue theme A4 300 dpi PNG", {"theme": "revenue"}),
        ("park park-01 A4 300 dpi PNG", {"scope": "park:park-01"}),
        ("city 郑州市 A4 PDF", {"scope": "city:郑州市", "format": "pdf"}),
    ]
    png_time = None
    for label, args in cases:
        seconds, result = timed(lambda a=args: render(catalog, parse_options(a)))
        png_time = png_time or seconds
        print(f"{label:<44} {seconds:>7.2f} {len(result.content) / 1e6:>8.2f} MB")

    options = parse_options({})
    both = []
    start = time.perf_counter()
    threads = [threading.Thread(target=lambda: both.append(render(catalog, options))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{'two province PNGs at once (threads)':<44} {time.perf_counter() - start:>7.2f}")

    start = time.perf_counter()
    pack = render_pack(catalog, parse_pack_options({"format": "pdf"}))
    print(f"{'pitch pack, all candidates, PDF':<44} {time.perf_counter() - start:>7.2f} "
          f"{len(pack.content) / 1e6:>8.2f} MB  ({pack.metadata['pages']} pages)")
    start = time.perf_counter()
    pack = render_pack(catalog, parse_pack_options({"format": "zip", "dpi": "150"}))
    print(f"{'pitch pack, all candidates, zip 150 dpi':<44} {time.perf_counter() - start:>7.2f} "
          f"{len(pack.content) / 1e6:>8.2f} MB")
    verdict = "met" if png_time < TARGET_S else "NOT met"
    print(f"\ntarget: A4 300 dpi province PNG under {TARGET_S:.0f} s — {verdict} ({png_time:.2f} s)")


if __name__ == "__main__":
    main()
