"""Near-duplicate detection for dataset images: perceptual hashes, then an aligned comparison.

A brand's dataset shares one layout by design (same framing, same style, one mascot drawn in
many species, colours and expressions). Any global hash sees mostly that layout: a 64-bit dHash
called a red cat and a green fox "the same picture", and even a 256-bit pHash puts a navy bear
that smiles 2 bits away from the same bear that frowns. So detection has two stages:

1. **Candidates** (every image of the dataset at once): a pHash (imagehash) and a colour hash
   (imagehash.colorhash) both within thresholds loose enough that every edited copy we test
   (resized, re-encoded, 5 % crops, brightness ±10 %) passes. Packed bits, XOR, popcount table.
2. **Verification** (the candidates at once): small blurred colour thumbnails compared under
   a grid of crop/offset hypotheses (a 5 % crop moves and scales the content), after fitting
   brightness per channel; the distance is the worst 6×6-pixel block of the best hypothesis.
   An edited copy differs a little everywhere; a different expression or eye colour differs a
   lot in one block, which is what tells the two apart.

The thresholds were validated by `bench/near_duplicate_thresholds.py` (numbers in
bench/results/near_duplicate_thresholds.json). Each new image is compared with the whole
dataset in numpy operations whose count does not depend on the dataset size; there is no
Python loop over pairs.

Not done yet: a CLIP image-embedding pass when CLIP weights are configured. CLIP must stay in
generation.engines, so it would run as a generation-side task after an upload (nudged like the
other queued work) and add `DuplicatePair` rows of its own; the hash stages stand alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import imagehash
import numpy as np
from PIL import Image, ImageFilter

from core.images import flatten_alpha

PHASH_SIZE = 8  # a finer pHash moves too much under a 5 % crop (measured: up to 94/256 bits)
COLOR_BINBITS = 3  # 14 bins × 3 bits = 42 bits
PHASH_BYTES = PHASH_SIZE * PHASH_SIZE // 8
COLOR_BYTES = (14 * COLOR_BINBITS + 7) // 8

THUMB = 48  # verification thumbnail side, px
THUMB_BYTES = THUMB * THUMB * 3
BLOCK = 4  # px of THUMB: about an eye or a mouth of a centred mascot
BLUR = 1.0
CROP_SHARES = (0.025, 0.05, 0.075)  # crop hypotheses; a 5 % crop is caught within 1.25 %
ANCHORS = (0.0, 0.5, 1.0)

# Validated thresholds; see the module docstring.
PHASH_MAX_DISTANCE = 20
COLOR_MAX_DISTANCE = 7
BLOCK_MAX_DIFFERENCE = 0.12  # mean |difference| (0-1 scale) of the worst block

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


@dataclass(frozen=True)
class Fingerprint:
    phash: bytes  # PHASH_BYTES packed bits
    color: bytes  # COLOR_BYTES packed bits
    thumbnail: bytes  # THUMB×THUMB RGB, blurred, uint8
    # The 2×THUMB copy crop hypotheses are cut from; only while the image is in hand.
    source: Image.Image | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, image: Image.Image) -> Fingerprint:
        # Transparent areas composited on a neutral background: pixels under alpha 0 are
        # arbitrary and must not decide the match.
        rgb = flatten_alpha(image)
        phash = imagehash.phash(rgb, hash_size=PHASH_SIZE)
        color = imagehash.colorhash(rgb, binbits=COLOR_BINBITS)
        source = rgb.resize((2 * THUMB, 2 * THUMB), Image.Resampling.BOX)
        return cls(
            _pack(phash.hash, PHASH_BYTES),
            _pack(color.hash, COLOR_BYTES),
            np.round(_thumb(source) * 255).astype(np.uint8).tobytes(),
            source,
        )

    @classmethod
    def stored(cls, phash: str, color: str, thumbnail: bytes | None) -> Fingerprint | None:
        """The stored form back; None for rows hashed before these fingerprints existed."""
        if len(phash) != 2 * PHASH_BYTES or len(color) != 2 * COLOR_BYTES:
            return None
        if not thumbnail or len(thumbnail) != THUMB_BYTES:
            return None
        return cls(bytes.fromhex(phash), bytes.fromhex(color), bytes(thumbnail))

    def distance(self, other: Fingerprint) -> tuple[int, int, float]:
        """(pHash bits, colour-hash bits, worst-block difference) to `other`."""
        index = FingerprintIndex()
        index.add(None, other)
        p, c, _ = index.hash_distances(self)
        return int(p[0]), int(c[0]), float(_block_differences(index._bases(), _Probe(self))[0])


def _pack(bits: np.ndarray, nbytes: int) -> bytes:
    packed = np.packbits(np.asarray(bits, dtype=bool).ravel()).tobytes()
    return packed.ljust(nbytes, b"\0")


def _thumb(source: Image.Image, size: int = THUMB, box=None) -> np.ndarray:
    small = source.resize((size, size), Image.Resampling.BOX, box=box)
    return np.asarray(small.filter(ImageFilter.GaussianBlur(BLUR)), dtype=np.float32) / 255


def _base(fingerprint: Fingerprint) -> np.ndarray:
    return np.frombuffer(fingerprint.thumbnail, dtype=np.uint8).reshape(THUMB, THUMB, 3)


class _Probe:
    """A new image's thumbnails under every crop hypothesis."""

    def __init__(self, fingerprint: Fingerprint):
        source = fingerprint.source
        if source is None:  # a stored row: rebuilt from its thumbnail, a little softer
            source = Image.fromarray(_base(fingerprint)).resize(
                (2 * THUMB, 2 * THUMB), Image.Resampling.BICUBIC
            )
        side = 2 * THUMB
        crops, shrunk = [], []
        for share in CROP_SHARES:
            cut = side * share
            for fx, fy in itertools.product(ANCHORS, ANCHORS):
                x0, y0 = cut * fx, cut * fy
                crops.append(_thumb(source, box=(x0, y0, x0 + side - cut, y0 + side - cut)))
            shrunk.append(_thumb(source, size=round(THUMB * (1 - share))))
        self.base = _base(fingerprint).astype(np.float32) / 255
        # The new image is the larger view: its crops against the others' whole thumbnails.
        self.crops = np.stack(crops)
        # The new image is the cropped copy: it, shrunk, against windows of the others.
        self.shrunk = shrunk


def _fitted_block_max(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Worst-block mean |y - a·x| per leading index. One gain `a` for all channels, fitted
    and kept within 0.85-1.18: a brightness edit scales every channel alike, whereas a gold
    mascot turned orange must not be explained away."""
    axes = (-3, -2, -1)
    gain = (x * y).sum(axis=axes, keepdims=True) / ((x * x).sum(axis=axes, keepdims=True) + 1e-6)
    residual = np.abs(np.clip(gain, 0.85, 1.18) * x - y).mean(axis=-1)
    h, w = residual.shape[-2:]
    h, w = h // BLOCK * BLOCK, w // BLOCK * BLOCK
    blocks = residual[..., :h, :w].reshape(
        *residual.shape[:-2], h // BLOCK, BLOCK, w // BLOCK, BLOCK
    )
    return blocks.mean(axis=(-3, -1)).max(axis=(-2, -1))


def _block_differences(bases: np.ndarray, probe: _Probe) -> np.ndarray:
    """Best-hypothesis worst-block difference between the probe and each of `bases` (n×T×T×3
    floats)."""
    best = _fitted_block_max(bases, probe.base[None])
    for crop in probe.crops:
        best = np.minimum(best, _fitted_block_max(bases, crop[None]))
    for small in probe.shrunk:
        side = small.shape[0]
        for fx, fy in itertools.product(ANCHORS, ANCHORS):
            x0, y0 = round((THUMB - side) * fx), round((THUMB - side) * fy)
            window = bases[:, y0 : y0 + side, x0 : x0 + side]
            best = np.minimum(best, _fitted_block_max(window, small[None]))
    return best


@dataclass(frozen=True)
class Match:
    key: object
    phash_distance: int
    color_distance: int
    difference: float


class FingerprintIndex:
    """Fingerprints of a dataset's images in growing uint8 matrices."""

    def __init__(
        self,
        *,
        phash_max: int = PHASH_MAX_DISTANCE,
        color_max: int = COLOR_MAX_DISTANCE,
        difference_max: float = BLOCK_MAX_DIFFERENCE,
        capacity: int = 64,
    ):
        self.phash_max, self.color_max, self.difference_max = phash_max, color_max, difference_max
        self._phash = np.zeros((capacity, PHASH_BYTES), dtype=np.uint8)
        self._color = np.zeros((capacity, COLOR_BYTES), dtype=np.uint8)
        self._thumbs = np.zeros((capacity, THUMB, THUMB, 3), dtype=np.uint8)
        self._keys: list[object] = []

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: object, fingerprint: Fingerprint) -> None:
        n = len(self._keys)
        if n == len(self._phash):  # doubling keeps appends amortised O(1)
            self._phash = np.concatenate([self._phash, np.zeros_like(self._phash)])
            self._color = np.concatenate([self._color, np.zeros_like(self._color)])
            self._thumbs = np.concatenate([self._thumbs, np.zeros_like(self._thumbs)])
        self._phash[n] = np.frombuffer(fingerprint.phash, dtype=np.uint8)
        self._color[n] = np.frombuffer(fingerprint.color, dtype=np.uint8)
        self._thumbs[n] = _base(fingerprint)
        self._keys.append(key)

    def _bases(self, rows=slice(None)) -> np.ndarray:
        return self._thumbs[: len(self._keys)][rows].astype(np.float32) / 255

    def hash_distances(self, fingerprint: Fingerprint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pHash, colour) distances to every indexed image, and the candidate mask."""
        n = len(self._keys)
        phash = _hamming(self._phash[:n], fingerprint.phash)
        color = _hamming(self._color[:n], fingerprint.color)
        return phash, color, (phash <= self.phash_max) & (color <= self.color_max)

    def nearest(self, fingerprint: Fingerprint) -> Match | None:
        """The most similar indexed image that passes both stages, or None."""
        if not self._keys:
            return None
        phash, color, candidates = self.hash_distances(fingerprint)
        rows = np.flatnonzero(candidates)
        if not len(rows):
            return None
        differences = _block_differences(self._bases(rows), _Probe(fingerprint))
        best = int(np.argmin(differences))
        if differences[best] > self.difference_max:
            return None
        row = int(rows[best])
        return Match(self._keys[row], int(phash[row]), int(color[row]), float(differences[best]))


def _hamming(pool: np.ndarray, packed: bytes) -> np.ndarray:
    query = np.frombuffer(packed, dtype=np.uint8)
    return _POPCOUNT[np.bitwise_xor(pool, query)].sum(axis=1, dtype=np.int32)
