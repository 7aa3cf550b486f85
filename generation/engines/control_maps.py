"""Control images -> control maps: the picture a ControlNet is conditioned on.

A brand's silhouette, line art, sketch, pose or edge picture is fitted to the render size and
turned into the kind of map its ControlNet was trained on (white strokes/regions on black):

- canny: OpenCV's Canny edges, the preprocessor the canny ControlNets were trained with;
- lineart: dark lines of a drawing, found with an adaptive threshold (ink on any paper colour);
- scribble: thick, simplified strokes (blurred edges, dilated), like a quick sketch;
- silhouette: the subject as one white shape, separated from the border's background colour;
- pose: used as given (an OpenPose skeleton picture; estimating poses needs a network).

OpenCV (opencv-python-headless) is imported inside the functions, so importing this module
stays light; the same input always gives the same bytes, and the stored map's sha256 is what
job metadata records.
"""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING

from core.vocabulary import CONTROL_TYPES

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image


class ControlMapError(ValueError):
    """The control type is unknown (callers turn this into a 400 naming the field)."""


def fit_square(image: Image.Image, size: int) -> Image.Image:
    """Centre-crop and resize to `size`×`size` RGB, the way every map and mask is framed."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    flat = image
    if image.mode in ("RGBA", "LA", "P"):
        # Transparent areas become white paper, not black: drawings are usually dark on light.
        rgba = image.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
    return ImageOps.fit(flat.convert("RGB"), (size, size), PILImage.Resampling.LANCZOS)


def prepare_control_map(
    image: Image.Image, control_type: str, size: int, *, preprocess: bool = True
) -> Image.Image:
    """The RGB control map for `image` at `size` px (white on black, as ControlNets expect)."""
    if control_type not in CONTROL_TYPES:
        raise ControlMapError(
            f"Unknown control type {control_type!r}; accepted: {', '.join(CONTROL_TYPES)}."
        )
    fitted = fit_square(image, size)
    if not preprocess or control_type == "pose":
        return fitted
    import numpy as np
    from PIL import Image as PILImage

    rgb = np.asarray(fitted)
    single = _PREPROCESSORS[control_type](rgb, size)
    return PILImage.fromarray(np.stack([single] * 3, axis=-1))


def _grey(rgb: np.ndarray):
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def canny_edges(rgb: np.ndarray, size: int):
    import cv2

    # 100/200 are the thresholds the public canny ControlNets were trained with.
    return cv2.Canny(_grey(rgb), 100, 200)


def line_art(rgb: np.ndarray, size: int):
    import cv2

    grey = cv2.GaussianBlur(_grey(rgb), (3, 3), 0)
    block = max(3, (size // 32) | 1)  # odd neighbourhood, about 1/32 of the image
    lines = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 8
    )
    # Drop isolated specks (paper grain, JPEG noise) that are not strokes.
    return cv2.morphologyEx(
        lines, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (2, 2))
    )


def scribble(rgb: np.ndarray, size: int):
    import cv2

    blur = max(3, (size // 64) | 1)
    edges = cv2.Canny(cv2.GaussianBlur(_grey(rgb), (blur, blur), 0), 40, 120)
    width = max(2, size // 128)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width * 2 + 1, width * 2 + 1))
    return cv2.dilate(edges, kernel)


def silhouette(rgb: np.ndarray, size: int):
    """The subject as a filled white shape: pixels unlike the border's colour, holes filled."""
    import cv2
    import numpy as np

    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    background = np.median(border, axis=0)
    distance = np.abs(rgb.astype(np.int16) - background.astype(np.int16)).max(axis=2)
    distance = cv2.GaussianBlur(distance.astype(np.uint8), (5, 5), 0)
    _, shape = cv2.threshold(distance, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    shape = cv2.morphologyEx(
        shape, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    )
    # Fill holes: flood the background from a corner; whatever it cannot reach is the subject.
    # A one-pixel black frame lets the flood go round a subject that touches the edges.
    padded = cv2.copyMakeBorder(shape, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    h, w = padded.shape
    cv2.floodFill(padded, np.zeros((h + 2, w + 2), np.uint8), (0, 0), 255)
    holes = cv2.bitwise_not(padded[1:-1, 1:-1])
    return cv2.bitwise_or(shape, holes)


_PREPROCESSORS = {
    "canny": canny_edges,
    "lineart": line_art,
    "scribble": scribble,
    "silhouette": silhouette,
}


def png_bytes(image: Image.Image) -> bytes:
    """Deterministic PNG bytes (no metadata) of a map or mask, as stored."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
