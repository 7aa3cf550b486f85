"""The CLIP pass's matching step at dataset scale, on constructed embeddings.

    python bench/clip_matching_bench.py [--images 2000] [--dim 512] [--copies 50]

`styles.services.clip_duplicates.best_earlier_matches` over --images unit vectors of one
"style" (pairwise cosines about 0.90, as one brand's renders sit close together) plus --copies
edited copies (cosine about 0.99 to their original), all checked as new: wall time, the peak
of Python allocations (tracemalloc) and whether exactly the copies were paired. This measures
the matrix product and the bookkeeping, not CLIP itself (no real weights here), and says
nothing about the threshold on real embeddings, which stays provisional.
Results go to bench/results/clip_matching_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "clip_matching_bench.json"


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def main(argv=None) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
    os.environ.setdefault("AVATARSAAS_TESTING", "1")
    import django

    django.setup()  # the module imports styles' models; no database is touched
    from styles.services.clip_duplicates import CLIP_MIN_COSINE, best_earlier_matches

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--copies", type=int, default=50)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    style = _unit(rng.normal(size=args.dim))
    distinct = _unit(0.95 * style + 0.31 * _unit(rng.normal(size=(args.images, args.dim))))
    originals = rng.choice(args.images, size=args.copies, replace=False)
    copies = _unit(distinct[originals] + 0.1 * _unit(rng.normal(size=(args.copies, args.dim))))
    embeddings = np.concatenate([distinct, copies]).astype(np.float32)

    tracemalloc.start()
    started = time.perf_counter()
    matches = best_earlier_matches(embeddings, np.arange(len(embeddings)))
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    expected = {(args.images + i, int(o)) for i, o in enumerate(originals)}
    found = {(m.row, m.other) for m in matches}
    result = {
        "images": args.images,
        "copies": args.copies,
        "dim": args.dim,
        "min_cosine": CLIP_MIN_COSINE,
        "threshold_status": "provisional: not validated on real CLIP embeddings",
        "seconds": round(seconds, 3),
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "copies_paired": f"{len(found & expected)}/{args.copies}",
        "distinct_paired": len(found - expected),
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
