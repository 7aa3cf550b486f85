"""Region-edit masks: reading a painted mask, feathering its edge, compositing the result.

A mask is white (or any bright colour; transparent counts as black) where the avatar should
change. The model repaints a slightly larger area (`generation_mask`); the result is then
composited over the parent through a feathered copy of the mask (`feather`), so every pixel
where the feathered mask is zero is the parent's own pixel, bit for bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

THRESHOLD = 127


def binary_mask(image: Image.Image) -> Image.Image:
    """L image, 255 where any channel of the (black-backed) mask is brighter than half."""
    from PIL import Image as PILImage
    from PIL import ImageChops

    if "A" in image.getbands() or image.mode == "P":
        rgba = image.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, "black")
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = image.convert("RGB")
    r, g, b = flat.split()
    brightest = ImageChops.lighter(ImageChops.lighter(r, g), b)
    return brightest.point(lambda v: 255 if v > THRESHOLD else 0, mode="L")


def feather_radius(size: int) -> int:
    """Width of the soft edge in pixels: about 1/64 of the image, at least 2."""
    return max(2, size // 64)


def feather(mask: Image.Image) -> Image.Image:
    """The compositing alpha: the mask grown by the radius, then blurred by half of it."""
    from PIL import ImageFilter

    radius = feather_radius(max(mask.size))
    grown = mask.filter(ImageFilter.MaxFilter(2 * radius + 1))
    return grown.filter(ImageFilter.GaussianBlur(radius / 2))


def generation_mask(mask: Image.Image) -> Image.Image:
    """What the model repaints: everywhere the feathered alpha is above zero."""
    return feather(mask).point(lambda v: 255 if v > 0 else 0, mode="L")


def composite(result: Image.Image, parent: Image.Image, mask: Image.Image) -> Image.Image:
    """`result` inside the feathered mask, `parent` (exactly) outside it."""
    from PIL import Image as PILImage

    return PILImage.composite(result.convert("RGB"), parent.convert("RGB"), feather(mask))
