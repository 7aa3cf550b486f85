"""Validate the near-duplicate thresholds of `styles.services.near_duplicates`.

    python bench/near_duplicate_thresholds.py [--distinct 300] [--edited 60] [--size 256]

Renders `--distinct` distinct same-style brand mascots (bench/brand_renders.py: one style and
layout; species, colour, expression and background vary) and edits `--edited` of them the
ways a careless export does (resized, upscaled, JPEG q=70, 5 % crops, brightness ±10 %).
Reports, for the configured thresholds:

- caught: the share of (original, edited copy) pairs flagged, per edit (must be 100 %);
- distinct_flagged: the share of distinct renders flagged as a near-duplicate of an earlier
  one when ingested in order (must be <= 2 %);
- the old rule (64-bit dHash <= 4 bits) on the same set, for comparison;
- the largest distances among edited pairs and the smallest among distinct ones, per stage.

Results go to bench/results/near_duplicate_thresholds.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "near_duplicate_thresholds.json"


def _old_dhash(image, size: int = 8) -> int:
    """The replaced rule, kept here only to show what it did to the same set."""
    from PIL import Image

    grey = image.convert("L").resize((size + 1, size), Image.Resampling.LANCZOS)
    px = grey.tobytes()
    bits = 0
    for row in range(size):
        for col in range(size):
            i = row * (size + 1) + col
            bits = (bits << 1) | (px[i] > px[i + 1])
    return bits


def main(argv=None) -> dict:
    from bench.brand_renders import brand_renders, edited_copies
    from styles.services import near_duplicates as nd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distinct", type=int, default=300)
    parser.add_argument("--edited", type=int, default=60)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    images = brand_renders(args.distinct, args.size)
    fps = [nd.Fingerprint.of(im) for im in images]

    edits: dict[str, list[tuple[int, int, float]]] = {}
    for image, fp in zip(images[: args.edited], fps[: args.edited], strict=True):
        for name, copy in edited_copies(image).items():
            edits.setdefault(name, []).append(nd.Fingerprint.of(copy).distance(fp))

    def caught(p, c, d):
        return (
            p <= nd.PHASH_MAX_DISTANCE
            and c <= nd.COLOR_MAX_DISTANCE
            and d <= nd.FINE_MAX_DIFFERENCE
        )

    # Ingestion in order: each render against all earlier ones, as dataset_ingest does. A
    # second index that accepts any difference shows how close the closest distinct pairs are.
    index, loose = nd.FingerprintIndex(), nd.FingerprintIndex(difference_max=9.0)
    flagged, candidates, closest = 0, 0, []
    for i, fp in enumerate(fps):
        if len(index):
            candidates += int(index.hash_distances(fp)[2].sum())
            flagged += index.nearest(fp) is not None
            match = loose.nearest(fp)
            if match is not None:
                closest.append(match.difference)
        index.add(i, fp)
        loose.add(i, fp)

    dh = [_old_dhash(im) for im in images]
    old_flagged = sum(
        any((dh[i] ^ dh[j]).bit_count() <= 4 for j in range(i)) for i in range(len(dh))
    )
    pairs = args.distinct * (args.distinct - 1) / 2
    result = {
        "images": {"distinct": args.distinct, "edited": args.edited, "size": args.size},
        "thresholds": {
            "phash_max": nd.PHASH_MAX_DISTANCE,
            "color_max": nd.COLOR_MAX_DISTANCE,
            "coarse_block_difference_max": nd.COARSE_MAX_DIFFERENCE,
            "fine_block_difference_max": nd.FINE_MAX_DIFFERENCE,
        },
        "caught": {name: sum(caught(*d) for d in ds) / len(ds) for name, ds in edits.items()},
        "distinct_flagged": flagged / args.distinct,
        "old_dhash_le_4_flagged": old_flagged / args.distinct,
        "stage1_candidate_pair_share": round(candidates / pairs, 4),
        "edit_distance_max": {
            name: {
                "phash": max(d[0] for d in ds),
                "color": max(d[1] for d in ds),
                "block_difference": round(max(d[2] for d in ds), 4),
            }
            for name, ds in edits.items()
        },
        "distinct_block_difference_smallest": [round(x, 4) for x in sorted(closest)[:10]],
        "seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
