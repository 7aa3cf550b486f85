"""Checking untrusted image files with Pillow (near-duplicates: `near_duplicates`).

Every failure is an `ImageRejected` with a stable code and a message a person can act on.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

ALLOWED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; we refuse above it, before
# any pixel is decoded (the header carries the size).
MAX_PIXELS = 40_000_000


@dataclass
class ImageRejected(Exception):
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def open_image(source, *, min_side: int, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Sniff, bound and fully decode an image from a file-like object or bytes.

    Raises ImageRejected: not_an_image, unsupported_format, decompression_bomb, corrupt
    (truncated or damaged data), too_small.
    """
    data = source if isinstance(source, bytes | bytearray) else _read(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format
            if fmt not in ALLOWED_FORMATS:
                raise ImageRejected(
                    "unsupported_format",
                    f"{fmt} images are not accepted; use PNG, JPEG or WebP.",
                )
            width, height = image.size
            if width * height > max_pixels:
                raise ImageRejected(
                    "decompression_bomb",
                    f"{width}×{height} pixels is over the {max_pixels:,}-pixel limit "
                    "(a decompression bomb guard).",
                )
            image.load()  # decodes everything: truncated/corrupt data fails here
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(
            "decompression_bomb", f"Too many pixels to decode safely ({exc})."
        ) from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageRejected(
            "not_an_image", "Not an image file (its contents are not PNG, JPEG or WebP)."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("corrupt", f"The image data is truncated or damaged ({exc}).") from exc
    image.format = fmt  # kept for the caller; load() may drop it on some plugins
    if min(image.size) < min_side:
        raise ImageRejected(
            "too_small",
            f"{image.width}×{image.height} is below the minimum of {min_side} px on each side.",
        )
    return image


def _read(source) -> bytes:
    if hasattr(source, "seek"):
        source.seek(0)
    return source.read()


def clean_copy(image: Image.Image) -> tuple[bytes, str, str]:
    """Re-encode without EXIF/metadata (orientation applied). Returns (bytes, ext, format)."""
    fmt = image.format or "PNG"
    upright = ImageOps.exif_transpose(image)
    pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    buf = io.BytesIO()
    if fmt == "JPEG":
        pixels.convert("RGB").save(buf, format="JPEG", quality=95)
        return buf.getvalue(), "jpg", "JPEG"
    if pixels.mode not in ("RGB", "RGBA", "L", "LA"):
        pixels = pixels.convert("RGBA")
    pixels.save(buf, format="PNG")
    return buf.getvalue(), "png", "PNG"
