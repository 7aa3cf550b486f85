"""What the trainer feeds the UNet: captions that carry the trigger word, images fitted to
aspect-ratio buckets over their brand background, and the order batches come in.

The batch order is a pure function of (seed, epoch), and a checkpoint also stores the current
epoch's plan, so a resumed run sees exactly the batches the uninterrupted run would have.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from core.images import NEUTRAL_BACKGROUND, RGB, flatten_alpha

if TYPE_CHECKING:
    from PIL import Image

Size = tuple[int, int]  # (width, height) in pixels
# Wider or taller images are cropped to this ratio: beyond it a bucket holds too few pixels
# on its short side for the UNet to learn detail.
MAX_ASPECT = 2.0


def caption_with_trigger(caption: str, trigger: str) -> str:
    """`caption` with the trigger word in front unless it already contains it as a word."""
    caption = (caption or "").strip()
    if not trigger:
        return caption
    if re.search(rf"(?<![\w-]){re.escape(trigger)}(?![\w-])", caption, flags=re.IGNORECASE):
        return caption
    return f"{trigger}, {caption}" if caption else trigger


def bucket_sizes(resolution: int, step: int, max_aspect: float = MAX_ASPECT) -> list[Size]:
    """Sizes on a `step` grid with at most resolution² pixels and aspect up to `max_aspect`,
    each as large as the grid allows for its width."""
    area = resolution * resolution
    sizes: set[Size] = {(resolution, resolution)}
    widest = int(resolution * math.sqrt(max_aspect)) + step
    for width in range(step, widest + 1, step):
        height = (area // width) // step * step
        if height >= step and max(width / height, height / width) <= max_aspect:
            sizes.add((width, height))
    return sorted(sizes)


def nearest_bucket(width: int, height: int, buckets: Sequence[Size]) -> Size:
    """The bucket whose aspect ratio is closest to the image's (in log space: 2:1 and 1:2 are
    equally far from square); the larger bucket wins a tie."""
    aspect = math.log(width / height)
    return min(buckets, key=lambda b: (abs(math.log(b[0] / b[1]) - aspect), -b[0] * b[1]))


def image_bucket(image: Image.Image, resolution: int, step: int, bucketing: bool) -> Size:
    if not bucketing:
        return (resolution, resolution)
    return nearest_bucket(image.width, image.height, bucket_sizes(resolution, step))


class Placement(NamedTuple):
    """How an image of `original` size becomes its bucket: scaled to `scaled`, then cropped
    at (`left`, `top`). SDXL is conditioned on the original size and the crop corner."""

    original: Size
    scaled: Size
    left: int
    top: int

    def crop_corner(self, bucket: Size, flipped: bool) -> tuple[int, int]:
        """(left, top) of the crop in the view trained on: a mirrored view's crop starts as
        far from the right edge as the plain view's starts from the left."""
        if not flipped:
            return self.left, self.top
        return self.scaled[0] - bucket[0] - self.left, self.top


def placement(original: Size, size: Size) -> Placement:
    """Scale to cover `size`, centre crop (what `fit_to_bucket` does to the pixels)."""
    width, height = size
    scale = max(width / original[0], height / original[1])
    scaled = (max(width, round(original[0] * scale)), max(height, round(original[1] * scale)))
    return Placement(tuple(original), scaled, (scaled[0] - width) // 2, (scaled[1] - height) // 2)


def fit_to_bucket(image: Image.Image, size: Size, background: RGB = NEUTRAL_BACKGROUND):
    """RGB image of exactly `size`: transparency over `background`, scaled to cover, centre crop."""
    from PIL import Image

    image = flatten_alpha(image, background)
    width, height = size
    place = placement(image.size, size)
    image = image.resize(place.scaled, Image.Resampling.BICUBIC)
    left, top = place.left, place.top
    return image.crop((left, top, left + width, top + height))


def pixel_tensor(image: Image.Image) -> Any:
    """RGB PIL image -> [-1, 1] CHW float tensor."""
    import numpy as np
    import torch

    array = np.asarray(image, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def epoch_batches(buckets: Sequence[Size], batch_size: int, seed: int, epoch: int) -> list:
    """One epoch's batches: examples shuffled within their bucket, cut into batches (the last
    of a bucket may be short), and the batches shuffled; a pure function of (seed, epoch)."""
    rng = random.Random(seed * 1_000_003 + epoch)
    groups: dict[Size, list[int]] = {}
    for index, bucket in enumerate(buckets):
        groups.setdefault(tuple(bucket), []).append(index)
    batches = []
    for bucket in sorted(groups):
        members = groups[bucket]
        rng.shuffle(members)
        batches += [members[i : i + batch_size] for i in range(0, len(members), batch_size)]
    rng.shuffle(batches)
    return batches


class DataOrder:
    """Micro-batch `m` of the run: epochs of `epoch_batches`, back to back."""

    def __init__(self, buckets: Sequence[Size], batch_size: int, seed: int):
        self.buckets, self.batch_size, self.seed = list(buckets), batch_size, seed
        counts: dict[Size, int] = {}
        for bucket in self.buckets:
            counts[tuple(bucket)] = counts.get(tuple(bucket), 0) + 1
        self.per_epoch = sum(math.ceil(n / batch_size) for n in counts.values())
        self.epoch, self.plan = -1, []

    def batch(self, micro_batch: int) -> list[int]:
        epoch, position = divmod(micro_batch, self.per_epoch)
        if epoch != self.epoch:
            self.epoch = epoch
            self.plan = epoch_batches(self.buckets, self.batch_size, self.seed, epoch)
        return list(self.plan[position])

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "batches": [list(b) for b in self.plan]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch = int(state["epoch"])
        self.plan = [list(b) for b in state["batches"]]
