"""The avatar pack as one zip, cut to what the brand asked for (sizes, shapes, formats).

A download never encodes what is already stored and never writes: the winner's pack is built
once, at job end by the worker (and on "pick" for another candidate), and its files are
zipped as they are (stored, not re-compressed: PNG and WebP are compressed already). A shape
that was not built (the circle of a square job, or any candidate that was not picked) is
rendered in memory, all sizes and formats at once, and kept in the Django cache under
(image, its original file, shape) for AVATARSAAS_PACK_CACHE_SECONDS, so asking again, with
any sizes or formats, does not encode it again. Downloads and renders are counted per
workspace in fixed one-minute windows (AVATARSAAS_PACK_DOWNLOADS_PER_MINUTE,
AVATARSAAS_PACK_RENDERS_PER_MINUTE); over either, `PackThrottled` carries the seconds to wait.
The render limit also bounds what one workspace can put in the cache.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from PIL import Image

from core.fixed_window import retry_after_if_over
from core.storage import read_bytes
from generation.models import GeneratedImage
from generation.worker import packs
from generation.worker.postprocess import make_avatar_pack

SHAPES = ("square", "circle")
FORMATS = ("png", "webp")


class PackThrottled(Exception):
    def __init__(self, retry_after: int, what: str):
        super().__init__(f"Too many pack {what} for this workspace; retry in {retry_after} s.")
        self.retry_after = retry_after


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


def count_download(tenant_id) -> None:
    """Count one pack download for the workspace; PackThrottled when over the limit."""
    _count("downloads", tenant_id, settings.AVATARSAAS_PACK_DOWNLOADS_PER_MINUTE)


def pack_zip(image: GeneratedImage, choice: PackChoice) -> bytes:
    """The chosen files of the image's pack plus its sidecar, as zip bytes. Writes nothing."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for (size, shape, fmt), data in _files(image, choice):
            zf.writestr(f"avatar-{size}-{shape}.{fmt}", data)
        if image.sidecar:
            zf.writestr("avatar.json", read_bytes(image.sidecar.name), zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _files(image: GeneratedImage, choice: PackChoice):
    stored = {(f.size, f.shape, f.format): f for f in image.files.all()}
    rendered: dict[str, dict] = {}
    achievable: set[int] | None = None
    for size in sorted(choice.sizes, reverse=True):
        for shape in choice.shapes:
            for fmt in choice.formats:
                key = (size, shape, fmt)
                if key in stored:
                    yield key, read_bytes(stored[key].file.name)
                    continue
                if achievable is None:
                    achievable = _achievable_sizes(image)
                if size not in achievable:
                    continue  # larger than the picture: no upscaling, as in the stored pack
                if shape not in rendered:
                    rendered[shape] = _rendered_shape(image, shape)
                if key in rendered[shape]:
                    yield key, rendered[shape][key]


def _achievable_sizes(image: GeneratedImage) -> set[int]:
    """Pack sizes the original can fill (reads the image header only; no decoding)."""
    with Image.open(io.BytesIO(read_bytes(image.original.name))) as original:
        side = min(original.size)
    return {s for s in packs.PACK_SIZES if s <= side}


def _rendered_shape(image: GeneratedImage, shape: str) -> dict[tuple, bytes]:
    """Every size and format of one shape, from the cache or rendered in memory once."""
    identity = f"{image.pk}:{image.original.name}:{shape}:{packs.PACK_SIZES}:{FORMATS}"
    key = "pack-render:" + hashlib.sha256(identity.encode()).hexdigest()
    files = cache.get(key)
    if files is not None:
        return files
    _count("renders", image.tenant_id, settings.AVATARSAAS_PACK_RENDERS_PER_MINUTE)
    with Image.open(io.BytesIO(read_bytes(image.original.name))) as original:
        original.load()
        made = make_avatar_pack(
            original, sizes=packs.PACK_SIZES, circle=shape == "circle", formats=FORMATS
        )
    files = {(f.size, f.shape, f.format): f.data for f in made}
    if sum(map(len, files.values())) <= settings.AVATARSAAS_PACK_CACHE_MAX_BYTES:
        cache.set(key, files, timeout=settings.AVATARSAAS_PACK_CACHE_SECONDS)
    return files


def _count(what: str, tenant_id, limit: int) -> None:
    retry_after = retry_after_if_over(f"pack-{what}:{tenant_id}", limit)
    if retry_after is not None:
        raise PackThrottled(retry_after, what)
