"""Where each edited copy's original ranks among the hash candidates, by hash and by look.

    python bench/near_duplicate_ranking.py [--images 1000] [--edited 60] [--size 256]

Indexes --images same-style brand renders (bench/brand_renders.py), makes every edit of
`edited_copies` of the first --edited, and for each copy reports the original's rank among the
candidates that pass the hash stage: by hash (pHash bits, then colour bits: the replaced
shortlist) and by `_rank_distance` (12 px thumbnails, crop hypotheses, brightness fitted: the
current one). A rank >= MAX_VERIFIED means the original is never verified. Also the time the
look ranking takes per copy. Results go to bench/results/near_duplicate_ranking.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "near_duplicate_ranking.json"


def main(argv=None) -> dict:
    import numpy as np

    from bench.brand_renders import brand_renders, edited_copies
    from styles.services import near_duplicates as nd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--edited", type=int, default=60)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args(argv)

    images = brand_renders(args.images, args.size)
    index = nd.FingerprintIndex()
    for i, image in enumerate(images):
        index.add(i, nd.Fingerprint.of(image))

    by_kind: dict[str, dict] = {}
    candidates, seconds = [], 0.0
    for i, image in enumerate(images[: args.edited]):
        for name, copy in edited_copies(image).items():
            fp = nd.Fingerprint.of(copy)
            phash, color, mask = index.hash_distances(fp)
            rows = np.flatnonzero(mask)
            candidates.append(len(rows))
            own = int(np.flatnonzero(rows == i)[0]) if i in rows else None
            stats = by_kind.setdefault(
                name, {"copies": 0, "not_a_candidate": 0, "hash_rank_max": 0, "look_rank_max": 0}
            )
            stats["copies"] += 1
            if own is None:
                stats["not_a_candidate"] += 1
                continue
            closeness = phash[rows] * (nd.COLOR_MAX_DISTANCE + 1) + color[rows]
            hash_rank = int(np.flatnonzero(np.argsort(closeness, kind="stable") == own)[0])
            started = time.perf_counter()
            look = nd._rank_distance(index._rank[rows], nd._rank_views(fp))
            seconds += time.perf_counter() - started
            look_rank = int(np.flatnonzero(np.argsort(look, kind="stable") == own)[0])
            stats["hash_rank_max"] = max(stats["hash_rank_max"], hash_rank)
            stats["look_rank_max"] = max(stats["look_rank_max"], look_rank)
            stats["beyond_cap_by_hash"] = stats.get("beyond_cap_by_hash", 0) + (
                hash_rank >= nd.MAX_VERIFIED
            )
            stats["beyond_cap_by_look"] = stats.get("beyond_cap_by_look", 0) + (
                look_rank >= nd.MAX_VERIFIED - nd.HASH_NEAREST
            )
    copies = sum(s["copies"] for s in by_kind.values())
    result = {
        "images": args.images,
        "edited": args.edited,
        "size": args.size,
        "copies": copies,
        "max_verified": nd.MAX_VERIFIED,
        "candidates_per_copy_mean": round(float(np.mean(candidates)), 1),
        "by_edit": by_kind,
        "originals_beyond_cap_by_hash": sum(
            s.get("beyond_cap_by_hash", 0) for s in by_kind.values()
        ),
        "originals_beyond_cap_by_look": sum(
            s.get("beyond_cap_by_look", 0) for s in by_kind.values()
        ),
        "look_ranking_ms_per_copy": round(1000 * seconds / copies, 1),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
