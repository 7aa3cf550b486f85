"""Live-sketch benchmark: what one keystroke pause costs the generate page's sketch endpoint.

    .venv/bin/python bench/sketch_bench.py              # print the table
    .venv/bin/python bench/sketch_bench.py --save       # also write bench/results/sketch_bench.json

`render_sketch` end to end (validation, parse, preset config, the real VectorEngine at the
sketch size, PNG encode, cache write) for distinct ~200-character descriptions (cache misses,
what typing produces), then the same descriptions again (cache hits, what undo/redo and a
repeated preview produce). The throttle is off here; it counts misses only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "sketch_bench.json"

BASE = (
    "A friendly {colour} robot barista for our coffee shop app, holding a steaming cup, round "
    "glasses, a green apron and a small name badge, warm smile, flat design, teal and cream "
    "colors, no text {i}"
)
COLOURS = ("blue", "red", "green", "orange", "purple", "yellow", "pink", "teal")


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
    os.environ.setdefault("AVATARSAAS_TESTING", "1")
    import django

    django.setup()


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "n": len(ordered),
    }


def run(n: int) -> dict:
    from django.conf import settings
    from django.core.cache import cache

    from generation.jobs.sketch import SKETCH_SIZE, SketchRequest, render_sketch
    from tenants.models import Tenant

    settings.AVATARSAAS_SKETCH_RENDERS_PER_MINUTE = 0
    cache.clear()
    tenant = Tenant(pk=uuid.uuid4(), name="bench")  # no preset: nothing is read from the DB
    texts = [BASE.format(colour=COLOURS[i % len(COLOURS)], i=i) for i in range(n)]
    render_sketch(tenant=tenant, request=SketchRequest("warm up the imports"))
    timings: dict[str, list[float]] = {"miss": [], "hit": []}
    for kind in ("miss", "hit"):
        for text in texts:
            start = time.perf_counter()
            sketch = render_sketch(tenant=tenant, request=SketchRequest(text))
            timings[kind].append((time.perf_counter() - start) * 1000)
            assert sketch.cached == (kind == "hit")
    return {
        "size_px": SKETCH_SIZE,
        "description_chars": len(texts[0]),
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "miss": _percentiles(timings["miss"]),
        "hit": _percentiles(timings["hit"]),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),  # shared machine: read misses against it
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=40, help="distinct descriptions (default 40)")
    parser.add_argument("--save", action="store_true", help="write bench/results/sketch_bench.json")
    args = parser.parse_args()
    _setup_django()
    result = run(args.n)
    for kind in ("miss", "hit"):
        r = result[kind]
        print(f"{kind:>4}: p50 {r['p50_ms']:8.2f} ms   p95 {r['p95_ms']:8.2f} ms   (n={r['n']})")
    if args.save:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"saved {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
