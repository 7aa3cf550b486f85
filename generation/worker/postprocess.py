"""Post-processing: one generated image -> the avatar files a brand downloads.

Pure functions over Pillow images and bytes. Every output is re-created from raw pixels before it
is encoded, so nothing the engine or an uploaded source carried (EXIF, XMP, ICC, PNG text chunks)
can leak into a delivered file.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops, ImageDraw

DEFAULT_SIZES = (1024, 512, 256, 128, 64)
CONTENT_TYPES = {"png": "image/png", "webp": "image/webp"}
_MASK_SUPERSAMPLE = 4  # the circle mask is drawn this much larger, then reduced: smooth edge


@dataclass(frozen=True)
class AvatarFile:
    size: int
    format: str  # "png" | "webp"
    shape: str  # "square" | "circle"
    data: bytes
    content_type: str

    @property
    def extension(self) -> str:
        return self.format


def square_crop(image: Image.Image, focus: tuple[int, int, int, int] | None = None) -> Image.Image:
    """Largest square in `image`, centred on `focus` (left, top, right, bottom) or the middle."""
    width, height = image.size
    side = min(width, height)
    if focus is None:
        cx, cy = width / 2, height / 2
    else:
        left, top, right, bottom = focus
        cx, cy = (left + right) / 2, (top + bottom) / 2
    left = int(round(min(max(cx - side / 2, 0), width - side)))
    top = int(round(min(max(cy - side / 2, 0), height - side)))
    return image.crop((left, top, left + side, top + side))


def circle_mask(size: int) -> Image.Image:
    """Anti-aliased disc: 255 inside, 0 in the corners."""
    big = Image.new("L", (size * _MASK_SUPERSAMPLE,) * 2, 0)
    ImageDraw.Draw(big).ellipse((0, 0, big.width - 1, big.height - 1), fill=255)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def make_avatar_pack(
    image: Image.Image,
    *,
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    circle: bool = False,
    formats: tuple[str, ...] = ("png", "webp"),
    focus: tuple[int, int, int, int] | None = None,
) -> list[AvatarFile]:
    """Square avatar files in every requested size that the source can fill, largest first.

    Sizes larger than the source are skipped (no upscaling); if none fit, the source's own size
    is used so the pack is never empty. With `circle`, corners are transparent (RGBA).
    """
    unknown = [f for f in formats if f not in CONTENT_TYPES]
    if unknown or not formats:
        raise ValueError(f"formats: expected some of {sorted(CONTENT_TYPES)}, got {list(formats)}")
    if any(s <= 0 for s in sizes):
        raise ValueError(f"sizes: expected positive pixel sizes, got {list(sizes)}")
    square = _pixels_only(square_crop(image, focus))
    side = square.width
    targets = sorted({s for s in sizes if s <= side}, reverse=True) or [side]
    shape = "circle" if circle else "square"
    files = []
    for size in targets:
        resized = square if size == side else square.resize((size, size), Image.Resampling.LANCZOS)
        if circle:
            resized = resized.convert("RGBA")
            alpha = circle_mask(size)
            if square.mode == "RGBA":  # keep existing transparency inside the circle
                alpha = ImageChops.darker(resized.getchannel("A"), alpha)
            resized.putalpha(alpha)
        for fmt in formats:
            files.append(AvatarFile(size, fmt, shape, _encode(resized, fmt), CONTENT_TYPES[fmt]))
    return files


def build_sidecar(metadata: dict[str, Any]) -> bytes:
    """JSON sidecar stored next to the images (sorted keys, UTF-8, non-ASCII kept readable)."""
    return json.dumps(metadata, sort_keys=True, ensure_ascii=False, indent=2).encode("utf-8")


def _pixels_only(image: Image.Image) -> Image.Image:
    # A fresh image from the pixel buffer carries no info dict, EXIF, ICC profile or text chunks.
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, fmt: str) -> bytes:
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    if fmt == "png":
        clean.save(buffer, format="PNG", optimize=True)
    else:
        clean.save(buffer, format="WEBP", quality=90, method=4, exif=b"", xmp=b"")
    return buffer.getvalue()
