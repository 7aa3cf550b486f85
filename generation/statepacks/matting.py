"""Background removal for diffusion state images.

The default `BorderKeyMatter` keys on the colour sampled from the image's border: a pixel's
alpha falls from 255 to 0 as its colour distance to that key drops through a soft band, so
edges stay anti-aliased; the key colour's spill is then taken back out of those edge pixels.
A background that is not one plain colour (too much spread along the border) is refused with a
message that says why, instead of cutting holes in the character.

A segmentation model can replace it later: register a factory under a name with
`register_matter(name, factory)` (the factory gets `AVATARSAAS_MATTING_MODEL`, a local path)
and set `AVATARSAAS_MATTING` to that name. Whatever runs, the result names its `method`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
from django.conf import settings
from PIL import Image

from core.errors import DomainError


class MattingRefused(DomainError):
    """The background cannot be removed safely; the message says why."""

    status_code = 422
    code = "background_not_plain"


@dataclass(frozen=True)
class MatteResult:
    image: Image.Image  # RGBA
    method: str  # "border_key", a registered matter's name, or "vector_alpha"
    key_color: str = ""  # "#rrggbb" of the keyed background, when there is one
    detail: dict | None = None


class Matter(Protocol):
    name: str

    def matte(self, image: Image.Image) -> MatteResult: ...


# A border's colour spread (mean per-channel standard deviation, 0-255) above which the
# background is not plain; and the share of border pixels that must sit near the key colour.
MAX_BORDER_SPREAD = 12.0
MIN_BORDER_MATCH = 0.9
# Colour distance (Euclidean RGB) that is certainly background / certainly foreground.
INNER, OUTER = 18.0, 60.0
BORDER = 4  # pixels sampled along each edge (at 512 px; scaled with the image)


@dataclass
class BorderKeyMatter:
    name: str = "border_key"
    inner: float = INNER
    outer: float = OUTER

    def matte(self, image: Image.Image) -> MatteResult:
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
        h, w = rgb.shape[:2]
        band = max(1, round(BORDER * max(h, w) / 512))
        border = np.concatenate(
            [
                rgb[:band].reshape(-1, 3),
                rgb[-band:].reshape(-1, 3),
                rgb[:, :band].reshape(-1, 3),
                rgb[:, -band:].reshape(-1, 3),
            ]
        )
        key = np.median(border, axis=0)
        spread = float(border.std(axis=0).mean())
        match = float((np.linalg.norm(border - key, axis=1) < self.inner).mean())
        if spread > MAX_BORDER_SPREAD or match < MIN_BORDER_MATCH:
            raise MattingRefused(
                f"The background is not plain enough to remove: its border varies by "
                f"{spread:.0f} levels (at most {MAX_BORDER_SPREAD:.0f}) and "
                f"{match:.0%} of it matches one colour (at least {MIN_BORDER_MATCH:.0%}). "
                "Ask for a plain background, or keep the background."
            )
        distance = np.linalg.norm(rgb - key, axis=2)
        alpha = np.clip((distance - self.inner) / (self.outer - self.inner), 0.0, 1.0)
        alpha = _keep_connected_background(alpha)
        # A 1 px blur keeps the cut-out edge anti-aliased at every size.
        alpha = cv2.GaussianBlur(alpha.astype(np.float32), (3, 3), 0.7)
        alpha[distance >= self.outer] = np.maximum(alpha[distance >= self.outer], 1.0)
        # Decontaminate: remove the key colour's share from semi-transparent edge pixels.
        a = np.clip(alpha, 1e-3, 1.0)[..., None]
        fg = np.clip((rgb - key * (1 - a)) / a, 0, 255)
        fg = np.where(alpha[..., None] > 0.999, rgb, fg)
        out = np.dstack([fg, np.round(alpha * 255)]).astype(np.uint8)
        return MatteResult(
            image=Image.fromarray(out, "RGBA"),
            method=self.name,
            key_color="#{:02x}{:02x}{:02x}".format(*(int(round(v)) for v in key)),
            detail={"border_spread": round(spread, 2), "border_match": round(match, 3)},
        )


def _keep_connected_background(alpha: np.ndarray) -> np.ndarray:
    """Only background-coloured pixels connected to the border become transparent: a white
    eye or tooth inside the character keeps its alpha."""
    background = (alpha < 1.0).astype(np.uint8)
    count, labels = cv2.connectedComponents(background, connectivity=4)
    if count <= 1:
        return alpha
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    touching = np.isin(labels, edge_labels[edge_labels > 0])
    return np.where(touching, alpha, 1.0)


_FACTORIES: dict[str, Callable[[str], Matter]] = {"border_key": lambda _path: BorderKeyMatter()}


def register_matter(name: str, factory: Callable[[str], Matter]) -> None:
    """Make a matter selectable by `AVATARSAAS_MATTING=name` (e.g. a segmentation model)."""
    _FACTORIES[name] = factory


def get_matter() -> Matter:
    name = getattr(settings, "AVATARSAAS_MATTING", "border_key") or "border_key"
    if name not in _FACTORIES:
        raise MattingRefused(
            f"AVATARSAAS_MATTING names '{name}', which no matter is registered as; "
            f"known: {', '.join(sorted(_FACTORIES))}.",
            code="matting_not_configured",
        )
    return _FACTORIES[name](getattr(settings, "AVATARSAAS_MATTING_MODEL", ""))
