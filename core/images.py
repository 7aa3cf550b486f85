"""Transparent brand images to RGB, the one way every layer does it.

`Image.convert("RGB")` drops the alpha channel and keeps whatever colour the transparent pixels
happen to store, which for most exported logos and mascots is black: a LoRA trained on them
learns black backgrounds, and CLIP compares candidates with black-boxed references. Compositing
over a background colour first keeps what the brand sees in their design tool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

RGB = tuple[int, int, int]
# White: brand assets with transparency are designed to sit on light pages, and it is what
# design tools show behind them.
NEUTRAL_BACKGROUND: RGB = (255, 255, 255)


def parse_colour(value: object) -> RGB | None:
    """`value` ("#rrggbb", "#rgb" or a CSS colour name like "navy") as RGB, else None."""
    from PIL import ImageColor

    if not isinstance(value, str) or not value.strip():
        return None
    try:
        rgb = ImageColor.getrgb(value.strip())
    except ValueError:
        return None
    return (int(rgb[0]), int(rgb[1]), int(rgb[2]))


def has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )


def flatten_alpha(image: Image.Image, background: RGB = NEUTRAL_BACKGROUND) -> Image.Image:
    """An RGB copy of `image` with any transparency composited over `background`."""
    from PIL import Image

    if not has_transparency(image):
        return image if image.mode == "RGB" else image.convert("RGB")
    rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (*background, 255))
    canvas.alpha_composite(rgba)
    return canvas.convert("RGB")
