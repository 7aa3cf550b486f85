"""Learned-ranker benchmark: does learning from a workspace's picks beat the blended score?

    python bench/ranker_bench.py                 # 400 training jobs, 400 held-out jobs
    python bench/ranker_bench.py --jobs 1000     # more of each

An offline replay on a synthetic pick history (no database, no model: the ranker is pure
numpy). Each synthetic job has 2-6 candidates with the features the worker stores (raw CLIP text
and brand scores on their real scales, z-scored and blended 50/50 as the worker does; colour,
contrast and framing measures; the odd fallback). The synthetic workspace has a taste the
default blend does not encode: brand look counts three times the text match, colourful and
centred candidates win, and picks are noisy (a Gumbel term). The ranker is trained on the first
jobs (in pick order) and both rankers are scored on the later, unseen ones:

- `blended_top1`: share of held-out jobs whose first candidate under the blended score (the
  unlearned ranker) is the one picked;
- `learned_top1`: the same for the learned ranker; `by_training_jobs` shows how it grows with
  the number of picks (the workspace threshold, AVATARSAAS_RANKER_MIN_PICKS, is 30).

Results go to bench/results/ranker.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "ranker.json"
# The synthetic workspace's hidden taste, over the stored features.
TASTE = {"text_z": 0.5, "brand_z": 1.5, "colour": 2.5, "offset": -8.0, "fallback": -10.0}
PICK_NOISE = 0.8  # Gumbel scale: users are not perfectly consistent


def synthetic_history(jobs: int, *, seed: int = 0, brand_weight: float = 0.5):
    """`jobs` Choice objects (batches and the candidate picked) from the hidden TASTE."""
    import numpy as np

    from generation.quality.blend import blend
    from generation.quality.ranker import Choice, features_of, matrix

    rng = np.random.default_rng(seed)
    history = []
    for _ in range(jobs):
        n = int(rng.integers(2, 7))
        text = rng.normal(0.28, 0.015, n)
        brand = rng.normal(0.72, 0.05, n) if rng.random() < 0.7 else None
        final, text_z, brand_z = blend(text, brand, brand_weight)
        rows = []
        for i in range(n):
            known = rng.random() < 0.7
            image = {
                "colourfulness": float(rng.uniform(10, 90)),
                "grey_std": float(rng.uniform(20, 70)),
                "subject_share": float(rng.uniform(0.15, 0.5)) if known else None,
                "offset": float(abs(rng.normal(0, 0.05))) if known else None,
            }
            rows.append(
                features_of(
                    blended=final[i],
                    text_z=text_z[i],
                    brand_z=brand_z[i] if brand_z else None,
                    image=image,
                    fallback=bool(rng.random() < 0.03),
                )
            )
        x = matrix(rows)
        utility = sum(w * x[:, _index(f)] for f, w in TASTE.items())
        utility = utility + rng.gumbel(0.0, PICK_NOISE, n)
        history.append(Choice(x, int(np.argmax(utility))))
    return history


def _index(feature: str) -> int:
    from generation.quality.ranker import FEATURES

    return FEATURES.index(feature)


def replay(train, test) -> dict:
    """Fit on `train`, then top-1 agreement of the prior and the learned ranker on `test`."""
    from generation.quality.ranker import RankerModel, fit, top1_agreement

    started = time.perf_counter()
    learned = fit(train)
    fit_ms = (time.perf_counter() - started) * 1000
    return {
        "blended_top1": round(top1_agreement(RankerModel.prior(), test), 4),
        "learned_top1": round(top1_agreement(learned, test), 4),
        "fit_ms": round(fit_ms, 2),
        "weights": learned.as_dict(),
    }


def run(jobs: int, seed: int) -> dict:
    history = synthetic_history(2 * jobs, seed=seed)
    train, test = history[:jobs], history[jobs:]
    result = replay(train, test)
    curve = {}
    for size in (10, 30, 100, 200, jobs):
        if size <= jobs:
            curve[str(size)] = replay(train[:size], test)["learned_top1"]
    return {
        "bench": "ranker",
        "training_jobs": len(train),
        "held_out_jobs": len(test),
        "candidates_per_job": "2-6",
        "taste": TASTE,
        "pick_noise": PICK_NOISE,
        "seed": seed,
        **result,
        "by_training_jobs": curve,
        "chance_top1": round(sum(1 / len(c.features) for c in test) / len(test), 4),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=400, help="training jobs (as many held out)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.jobs, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
