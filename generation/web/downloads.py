"""The avatar pack as one zip, cut to what the brand asked for (sizes, shapes, formats)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from core.storage import read_bytes
from generation.models import GeneratedImage
from generation.worker import packs

SHAPES = ("square", "circle")
FORMATS = ("png", "webp")


@dataclass(frozen=True)
class PackChoice:
    sizes: tuple[int, ...] = packs.PACK_SIZES
    shapes: tuple[str, ...] = ("square",)
    formats: tuple[str, ...] = FORMATS

    @classmethod
    def from_query(cls, query, *, circle_default: bool) -> PackChoice:
        """Unknown values are dropped; an empty choice falls back to everything sensible."""
        sizes = tuple(int(s) for s in query.getlist("size") if s.isdigit())
        sizes = tuple(s for s in sizes if s in packs.PACK_SIZES) or packs.PACK_SIZES
        shapes = tuple(s for s in query.getlist("shape") if s in SHAPES)
        shapes = shapes or (SHAPES if circle_default else ("square",))
        formats = tuple(f for f in query.getlist("format") if f in FORMATS) or FORMATS
        return cls(sizes, shapes, formats)


def pack_zip(image: GeneratedImage, choice: PackChoice) -> bytes:
    """Renders missing variants first (idempotent), then zips the chosen ones."""
    packs.ensure_pack(image, circle=image.job.circle or "circle" in choice.shapes)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in image.files.all():
            if f.size in choice.sizes and f.shape in choice.shapes and f.format in choice.formats:
                zf.writestr(f"avatar-{f.size}-{f.shape}.{f.format}", read_bytes(f.file.name))
        if image.sidecar:
            zf.writestr("avatar.json", read_bytes(image.sidecar.name))
    return buf.getvalue()
