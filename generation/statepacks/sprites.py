"""The sprite sheet: every state on one transparent PNG, in a grid, with each frame's rect."""

from __future__ import annotations

import io
import math

from PIL import Image

MAX_COLUMNS = 4


def sprite_sheet(frames: list[Image.Image], cell: int) -> tuple[Image.Image, list[dict[str, int]]]:
    columns = min(MAX_COLUMNS, len(frames))
    rows = math.ceil(len(frames) / columns)
    sheet = Image.new("RGBA", (columns * cell, rows * cell), (0, 0, 0, 0))
    rects = []
    for i, frame in enumerate(frames):
        x, y = (i % columns) * cell, (i // columns) * cell
        tile = frame.convert("RGBA")
        if tile.size != (cell, cell):
            tile = tile.resize((cell, cell), Image.Resampling.LANCZOS)
        sheet.paste(tile, (x, y))
        rects.append({"x": x, "y": y, "w": cell, "h": cell})
    return sheet, rects


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=False, compress_level=6)
    return buf.getvalue()
