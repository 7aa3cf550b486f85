"""Palette adherence: how far an image's dominant colours sit from a brand palette, in
CIEDE2000 (scikit-image), blended into a batch's ranking when the preset asks, and a soft
recolour that moves the colours toward the palette (state packs).

Dominant colours come from a deterministic k-means (OpenCV, fixed seed, initial centres spread
by sorted luminance) over the opaque pixels. The score is the pixel-share-weighted mean of each
dominant colour's distance to its nearest palette colour: 0 is exactly on palette; about 2.3
is a just-noticeable difference; above 20 reads as another colour.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from generation.quality.blend import normalise

DOMINANT_COLOURS = 5
SAMPLE_SIDE = 96  # k-means runs on a thumbnail: the dominant colours do not need every pixel


@dataclass(frozen=True)
class PaletteScore:
    delta_e: float  # weighted mean CIEDE2000 to the nearest palette colour (lower is better)
    dominant: tuple[str, ...]  # "#rrggbb", most frequent first
    shares: tuple[float, ...]
    nearest: tuple[str, ...]  # the palette colour each dominant colour is scored against


def _hex_to_rgb(values) -> np.ndarray:
    return np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in values], dtype=np.uint8)


def _to_hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb))


def _color():
    # scikit-image (and scipy under it) loads only where colours are scored: the worker and
    # state packs, not every web process that imports the ranking code's URLs.
    from skimage import color

    return color


def _lab(rgb_uint8: np.ndarray) -> np.ndarray:
    return _color().rgb2lab(rgb_uint8.reshape(-1, 1, 3).astype(np.float64) / 255.0).reshape(-1, 3)


def _opaque_pixels(image: Image.Image) -> np.ndarray:
    small = image.convert("RGBA")
    small.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.BOX)
    arr = np.asarray(small).reshape(-1, 4)
    opaque = arr[arr[:, 3] >= 128, :3]
    return opaque if len(opaque) else arr[:, :3]


def dominant_colours(
    image: Image.Image, k: int = DOMINANT_COLOURS
) -> tuple[np.ndarray, np.ndarray]:
    """(centres uint8 (k', 3), pixel shares (k',)), most frequent first; deterministic."""
    pixels = _opaque_pixels(image).astype(np.float32)
    k = max(1, min(k, len(np.unique(pixels, axis=0))))
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.5)
    _, labels, centres = cv2.kmeans(pixels, k, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    counts = np.bincount(labels.ravel(), minlength=k).astype(np.float64)
    order = np.argsort(-counts, kind="stable")
    centres = np.clip(np.round(centres[order]), 0, 255).astype(np.uint8)
    return centres, counts[order] / counts.sum()


def palette_score(image: Image.Image, palette: tuple[str, ...] | list[str]) -> PaletteScore | None:
    """None without a palette (nothing to adhere to)."""
    if not palette:
        return None
    centres, shares = dominant_colours(image)
    lab_c, lab_p = _lab(centres), _lab(_hex_to_rgb(palette))
    distances = _color().deltaE_ciede2000(lab_c[:, None, :], lab_p[None, :, :])  # (k, palette)
    nearest = distances.argmin(axis=1)
    best = distances[np.arange(len(centres)), nearest]
    return PaletteScore(
        delta_e=round(float((best * shares).sum()), 4),
        dominant=tuple(_to_hex(c) for c in centres),
        shares=tuple(round(float(s), 4) for s in shares),
        nearest=tuple(palette[i] for i in nearest),
    )


def soft_recolour(
    image: Image.Image, palette: tuple[str, ...] | list[str], strength: float = 0.5
) -> Image.Image:
    """Move each pixel toward the palette by the shift of its dominant colour, in Lab, weighted
    by how close the pixel is to that colour: gradients and shading survive (no posterising),
    and `strength` 0 leaves the image as it was. Alpha is kept."""
    if not palette or strength <= 0:
        return image
    rgba = image.convert("RGBA")
    arr = np.asarray(rgba)
    centres, _ = dominant_colours(rgba)
    lab_c, lab_p = _lab(centres), _lab(_hex_to_rgb(palette))
    targets = lab_p[_color().deltaE_ciede2000(lab_c[:, None, :], lab_p[None, :, :]).argmin(axis=1)]
    shifts = targets - lab_c  # (k, 3)
    lab = _color().rgb2lab(arr[..., :3].astype(np.float64) / 255.0)
    flat = lab.reshape(-1, 3)
    d = np.linalg.norm(flat[:, None, :] - lab_c[None, :, :], axis=2)  # (pixels, k)
    weights = np.exp(-((d / 20.0) ** 2))
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
    moved = flat + strength * (weights @ shifts)
    rgb = np.clip(_color().lab2rgb(moved.reshape(lab.shape)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, arr[..., 3]]), "RGBA").convert(image.mode)


def apply_to_batch(scored, palette, weight: float | None) -> None:
    """Score every candidate of a batch for palette adherence (`quality["palette_delta_e"]`);
    when the preset gives `weight`, blend it into the final score the same way the brand score
    is: adherence (-ΔE) z-scored within the batch, ``final = (1 - w) * final + w * z``."""
    if not palette or not scored:
        return
    deltas = [palette_score(item.candidate.image, palette).delta_e for item in scored]
    for item, delta in zip(scored, deltas, strict=True):
        item.quality = {**item.quality, "palette_delta_e": delta}
    if weight is None or any(item.final_score is None for item in scored):
        return
    for item, z in zip(scored, normalise([-d for d in deltas], min_spread=1.0), strict=True):
        item.quality["palette_z"] = round(z, 6)
        item.quality["palette_weight"] = weight
        item.final_score = (1.0 - weight) * item.final_score + weight * z
