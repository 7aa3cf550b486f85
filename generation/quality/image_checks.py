"""Cheap pixel checks on a rendered candidate: is it blank, is its subject framed, how does it look.

No model: numpy on a 64 x 64 copy of the image, a millisecond or so per candidate.

**Blank / near-uniform.** The grey-level spread of the copy below `BLANK_STD`, or nearly every
pixel (`UNIFORM_SHARE`) within `UNIFORM_DISTANCE` of the median colour: a black frame, a grey
wash, a flat fill with a speck.

**Framing, from the border colour.** Avatars are drawn on a background that shows in the four
corners, so the corners estimate it: the median colour of each corner patch, bilinearly
interpolated over the image, is the background model (a flat fill or a linear gradient in any
direction fits it exactly). A pixel farther than `FOREGROUND_DISTANCE` from the model is
foreground (the subject). The estimate is trusted only when every corner patch is itself nearly
uniform and the model explains at least one of the two upper side edges (a horizon or scenery
shows on both sides, a badly placed subject on one); a busy scene, a photo or noise leaves the
framing *unknown*, never rejected, and so does a subject that fills both sides (a false reject
costs a render, a missed one only a rank). With a trusted background:

- no subject: less than `MIN_SUBJECT` of the image is foreground;
- cut off: the subject covers more than `EDGE_CUT` of the top edge, or of the upper part of the
  left or right edge (head-and-shoulders avatars touch the bottom edge, and their shoulders may
  reach the sides low down, by design);
- off-centre: the subject's centroid is more than `MAX_OFFSET` of the image width from the
  centre horizontally, or `MAX_OFFSET_Y` vertically.

The same pass yields the features the learned ranker may use (`ImageFeatures`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

SIDE = 64
BLANK_STD = 4.0  # grey levels (0-255)
UNIFORM_DISTANCE = 16.0  # RGB distance
UNIFORM_SHARE = 0.985
CORNER = 5  # corner patch side, in pixels of the 64 px copy
CORNER_SPREAD = 14.0  # a corner patch this uniform (mean RGB distance to its median) is backdrop
SCENERY_SIDES = 0.25  # both upper side edges this far off the model: unreadable
FOREGROUND_DISTANCE = 36.0
MIN_SUBJECT = 0.02
EDGE_CUT = 0.45
SIDE_EDGE_SPAN = 0.6  # the upper share of the left/right edges where touching means cut off
MAX_OFFSET = 0.2
MAX_OFFSET_Y = 0.25


@dataclass(frozen=True)
class ImageFeatures:
    """What the checks measured. Framing fields are None when the background was not readable."""

    grey_std: float
    uniform_share: float
    colourfulness: float  # Hasler & Süsstrunk, 0-~150
    framing_known: bool
    subject_share: float | None = None
    offset: float | None = None  # centroid distance from the centre, share of the side
    edge_touch: float | None = None  # worst of top / upper-left / upper-right edge coverage

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Verdict:
    features: ImageFeatures
    reason: str = ""  # "" when the image passes; else blank | near_uniform | no_subject | ...
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def _small(image: Image.Image) -> np.ndarray:
    from PIL import Image as PILImage

    rgb = image.convert("RGB")
    if rgb.size != (SIDE, SIDE):
        rgb = rgb.resize((SIDE, SIDE), PILImage.Resampling.BOX)
    return np.asarray(rgb, dtype=np.float32)


def _colourfulness(px: np.ndarray) -> float:
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def _background_model(px: np.ndarray) -> np.ndarray | None:
    """Bilinear interpolation of the four corner colours, or None if the corners are busy.

    One busy corner (a subject pushed into it) borrows the colour of the corner beside it on
    the same row, which is exact for flat fills and vertical gradients, the common backdrops.
    """
    c = CORNER
    patches = [px[:c, :c], px[:c, -c:], px[-c:, :c], px[-c:, -c:]]
    colours: list[np.ndarray | None] = []
    for patch in patches:
        flat = patch.reshape(-1, 3)
        median = np.median(flat, axis=0)
        busy = np.linalg.norm(flat - median, axis=1).mean() > CORNER_SPREAD
        colours.append(None if busy else median)
    busy = [i for i, colour in enumerate(colours) if colour is None]
    if len(busy) > 1:
        return None
    if busy:
        colours[busy[0]] = colours[busy[0] ^ 1]  # 0<->1 (top row), 2<->3 (bottom row)
    top_left, top_right, bottom_left, bottom_right = colours
    t = np.linspace(0.0, 1.0, px.shape[0], dtype=np.float32)[:, None, None]
    s = np.linspace(0.0, 1.0, px.shape[1], dtype=np.float32)[None, :, None]
    top = top_left * (1 - s) + top_right * s
    bottom = bottom_left * (1 - s) + bottom_right * s
    return top * (1 - t) + bottom * t


def _framing(px: np.ndarray) -> tuple[float, float, float, float] | None:
    """(subject share, worst edge coverage, centroid dx, centroid dy), or None if unreadable."""
    background = _background_model(px)
    if background is None:
        return None
    mask = np.linalg.norm(px - background, axis=2) > FOREGROUND_DISTANCE
    span = int(mask.shape[0] * SIDE_EDGE_SPAN)
    top = float(mask[0, 1:-1].mean())
    left, right = float(mask[1:span, 0].mean()), float(mask[1:span, -1].mean())
    if min(left, right) > SCENERY_SIDES:
        return None  # both sides disagree with the corners: a horizon or scenery, not a backdrop
    share = float(mask.mean())
    if not mask.any():
        return share, 0.0, 0.0, 0.0
    ys, xs = np.nonzero(mask)
    side = mask.shape[0]
    dx = abs((xs.mean() + 0.5) / side - 0.5)
    dy = abs((ys.mean() + 0.5) / side - 0.5)
    return share, max(top, left, right), float(dx), float(dy)


def inspect(image: Image.Image) -> Verdict:
    """Measure one candidate and say whether it is technically usable (and if not, why)."""
    px = _small(image)
    grey = px @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    median = np.median(px.reshape(-1, 3), axis=0)
    uniform = float((np.linalg.norm(px - median, axis=2) <= UNIFORM_DISTANCE).mean())
    framing = _framing(px)
    features = ImageFeatures(
        grey_std=float(grey.std()),
        uniform_share=uniform,
        colourfulness=_colourfulness(px),
        framing_known=framing is not None,
        subject_share=framing[0] if framing else None,
        offset=float(np.hypot(framing[2], framing[3])) if framing else None,
        edge_touch=framing[1] if framing else None,
    )
    if features.grey_std < BLANK_STD and uniform > 0.9:
        return Verdict(features, "blank", f"grey-level spread {features.grey_std:.1f} of 255")
    if uniform >= UNIFORM_SHARE:
        return Verdict(features, "near_uniform", f"{uniform:.1%} of pixels are one colour")
    if framing is None:
        return Verdict(features)
    share, edge, dx, dy = framing
    if share < MIN_SUBJECT:
        return Verdict(features, "no_subject", f"subject covers {share:.1%} of the image")
    if edge > EDGE_CUT:
        return Verdict(features, "cut_off", f"subject covers {edge:.0%} of an edge")
    if dx > MAX_OFFSET or dy > MAX_OFFSET_Y:
        return Verdict(features, "off_centre", f"subject centre off by {dx:.0%} x {dy:.0%}")
    return Verdict(features)
