"""Small pictures for the preset picker: the brand's own reference image when it has one,
else a vector drawing in the preset's style, palette and default attributes."""

from __future__ import annotations

import io
import zlib

from core.storage import read_bytes
from generation.engines.vector.plan import make_plan
from generation.engines.vector.render import render_avatar

SIZE = 96


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _from_reference(preset):
    from PIL import Image, ImageOps

    reference = preset.references.order_by("created_at").first()
    if reference is None:
        return None
    try:
        with Image.open(io.BytesIO(read_bytes(reference.file.name))) as source:
            return ImageOps.fit(source.convert("RGB"), (SIZE, SIZE))
    except (OSError, ValueError):  # a missing or unreadable upload: fall back to a drawing
        return None


def preset_thumbnail_png(preset) -> bytes:
    image = _from_reference(preset) if preset.tenant_id else None
    if image is None:
        attributes = {"style": preset.base_style, **(preset.default_attributes or {})}
        # A seed per preset so neighbouring cards do not all show the same face.
        seed = zlib.crc32(preset.slug.encode())
        image = render_avatar(make_plan(attributes, tuple(preset.palette or ()), seed), SIZE)
    return _png(image)
