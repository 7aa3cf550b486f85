"""A small choice model over score features: which candidate of a batch will the user pick?

Conditional logit (the top-1 form of Plackett-Luce, Bradley-Terry for batches of two): the
chance that candidate i of a batch is the one chosen is ``softmax(X @ w)[i]``. Only differences
within a batch matter, so a job-level offset (one prompt scoring higher than another) cancels.
Pure numpy: Newton's method on a handful of weights converges in a few steps, in milliseconds.

The features (`FEATURES`, see `features_of`) are the batch-normalised scores and what the pixel
checks measured. Training starts from, and is pulled back towards (L2, `PRIOR_STRENGTH`), the
prior `w0` that ranks exactly like the blended score: weight 1 on `blended`, a large negative
weight on `fallback`, 0 elsewhere. With few picks the learned ranker therefore stays close to
the blended one; with many, the workspace's own taste (say, brand look over text match, or
colourful over plain) moves the weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FEATURES = (
    "blended",  # the preset-weighted blend of the two z-scores (what ranks without learning)
    "text_z",  # CLIP text score vs the meaning text, z-scored in the batch
    "brand_z",  # CLIP similarity to the preset's references, z-scored (0 without references)
    "colour",  # colourfulness / 100
    "contrast",  # grey-level spread / 64
    "subject",  # share of the image that is subject (0.3 when the background is unreadable)
    "offset",  # subject centroid distance from the centre, share of the side (0 if unknown)
    "fallback",  # 1 for a rejected candidate delivered because the re-roll budget ran out
)
FALLBACK_PENALTY = 10.0
PRIOR_STRENGTH = 2.0
_DEFAULTS = {"subject": 0.3, "offset": 0.0}


def features_of(
    *,
    blended: float | None,
    text_z: float | None,
    brand_z: float | None,
    image: Mapping[str, Any],
    fallback: bool,
) -> dict[str, float]:
    """One candidate's feature dict (stored on the image: training replays exactly these)."""
    subject = image.get("subject_share")
    offset = image.get("offset")
    return {
        "blended": float(blended or 0.0),
        "text_z": float(text_z or 0.0),
        "brand_z": float(brand_z or 0.0),
        "colour": float(image.get("colourfulness") or 0.0) / 100.0,
        "contrast": float(image.get("grey_std") or 0.0) / 64.0,
        "subject": float(_DEFAULTS["subject"] if subject is None else subject),
        "offset": float(_DEFAULTS["offset"] if offset is None else offset),
        "fallback": 1.0 if fallback else 0.0,
    }


def matrix(rows: Sequence[Mapping[str, float]]) -> np.ndarray:
    return np.array([[float(r.get(f, 0.0)) for f in FEATURES] for r in rows], dtype=np.float64)


@dataclass(frozen=True)
class Choice:
    """One batch (a job's candidates, one row each) and the index of the candidate chosen."""

    features: np.ndarray
    chosen: int


@dataclass(frozen=True)
class RankerModel:
    weights: np.ndarray

    @classmethod
    def prior(cls) -> RankerModel:
        w = np.zeros(len(FEATURES))
        w[FEATURES.index("blended")] = 1.0
        w[FEATURES.index("fallback")] = -FALLBACK_PENALTY
        return cls(w)

    @classmethod
    def from_dict(cls, data: Mapping[str, float]) -> RankerModel:
        prior = cls.prior().weights
        return cls(np.array([float(data.get(f, prior[i])) for i, f in enumerate(FEATURES)]))

    def as_dict(self) -> dict[str, float]:
        return {f: round(float(w), 6) for f, w in zip(FEATURES, self.weights, strict=True)}

    def scores(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weights

    def order(self, features: np.ndarray) -> list[int]:
        """Candidate indices, best first; ties keep batch order (like `best_of`)."""
        s = self.scores(features)
        return sorted(range(len(s)), key=lambda i: (-s[i], i))

    def top(self, features: np.ndarray) -> int:
        return self.order(features)[0]


def fit(
    choices: Sequence[Choice],
    *,
    prior: RankerModel | None = None,
    strength: float = PRIOR_STRENGTH,
    iterations: int = 50,
) -> RankerModel:
    """Maximum a posteriori weights: conditional-logit likelihood, Gaussian prior around `prior`."""
    w0 = (prior or RankerModel.prior()).weights
    w = w0.copy()
    k = len(w)
    usable = [c for c in choices if len(c.features) >= 2]
    for _ in range(iterations):
        grad = strength * (w - w0)
        hess = strength * np.eye(k)
        for c in usable:
            x = c.features
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            mean = p @ x
            grad -= x[c.chosen] - mean
            centred = x - mean
            hess += (centred * p[:, None]).T @ centred
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return RankerModel(w)


def top1_agreement(model: RankerModel, choices: Sequence[Choice]) -> float:
    """Share of batches where the model's first candidate is the one the user chose."""
    if not choices:
        return 0.0
    return sum(model.top(c.features) == c.chosen for c in choices) / len(choices)
