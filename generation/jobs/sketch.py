"""The live sketch on the generate page: the description as the vector engine would draw it.

It goes through the same steps as a job (the tenant's own preset, the parser, the user's
attribute edits, the preset's palette and default attributes) and the real `VectorEngine`, at a
small size. It creates nothing and costs nothing, so it is bounded instead: the description is
capped like a job's, finished sketches are cached under the tenant and a hash of everything
that decides the pixels, and renders (cache misses) are counted per workspace per minute
(AVATARSAAS_SKETCH_RENDERS_PER_MINUTE), like the pack renders on the job page.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext

from core.attributes import clean_edits
from core.errors import InvalidInput
from core.fixed_window import RateLimited, retry_after_if_over
from generation.engines.base import RenderRequest
from generation.engines.vector.engine import VERSION, VectorEngine
from generation.jobs.render_config import render_config_for
from generation.jobs.submit import MAX_DESCRIPTION, find_preset
from generation.prompts import describe as describing
from styles.models import StylePreset
from tenants.models import Tenant

SKETCH_SIZE = 128  # px: about 80 ms on one CPU core, enough to read subject, colours, props
SKETCH_SEED = 7  # one seed for every sketch, so only the words change the drawing


@dataclass(frozen=True)
class SketchRequest:
    description: str
    preset_id: str | None = None
    edits: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None


@dataclass(frozen=True)
class Sketch:
    png: bytes
    attributes: dict[str, Any]
    cached: bool


def sketch_cache_key(tenant: Tenant, request: SketchRequest, preset: StylePreset | None) -> str:
    """The tenant in clear (so one workspace's sketches can never answer another's) plus a
    hash of the inputs; the preset's `updated_at` retires sketches of an edited preset."""
    inputs = {
        "description": request.description.strip(),
        "preset": str(preset.pk) if preset else None,
        "preset_version": preset.updated_at.isoformat() if preset else None,
        "edits": request.edits,
        "seed": request.seed,
        "size": SKETCH_SIZE,
        "engine": VERSION,
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
    return f"sketch:{tenant.pk}:{digest}"


def render_sketch(*, tenant: Tenant, request: SketchRequest) -> Sketch:
    """A PNG sketch of the request; InvalidInput/NotFound name the field, RateLimited when the
    workspace has rendered too many this minute."""
    text = (request.description or "").strip()
    if not text:
        raise InvalidInput(
            gettext("Describe the bot, e.g. 'a friendly blue robot'."), field="description"
        )
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(
            gettext("Keep the description under %(max_description)s characters.")
            % {"max_description": MAX_DESCRIPTION},
            field="description",
        )
    request = SketchRequest(text, request.preset_id, clean_edits(request.edits), request.seed)
    preset = find_preset(tenant, request.preset_id)
    key = sketch_cache_key(tenant, request, preset)
    hit = cache.get(key)
    if hit is not None:
        return Sketch(hit["png"], hit["attributes"], cached=True)
    retry_after = retry_after_if_over(
        f"sketch-renders:{tenant.pk}", settings.AVATARSAAS_SKETCH_RENDERS_PER_MINUTE
    )
    if retry_after is not None:
        raise RateLimited(
            gettext("Too many sketches for this workspace this minute; retry in %(seconds)s s.")
            % {"seconds": retry_after},
            retry_after=retry_after,
        )
    config = render_config_for(preset)
    described = describing.describe(text, edits=request.edits, config=config)
    seed = SKETCH_SEED if request.seed is None else request.seed
    (candidate,) = VectorEngine().generate(
        RenderRequest(
            prompt=described.prompt,
            attributes=described.attributes,
            seeds=(seed,),
            width=SKETCH_SIZE,
            height=SKETCH_SIZE,
            palette=config.palette,
        )
    )
    buf = io.BytesIO()
    candidate.image.save(buf, format="PNG", optimize=True)
    png = buf.getvalue()
    cache.set(
        key,
        {"png": png, "attributes": described.attributes},
        timeout=settings.AVATARSAAS_SKETCH_CACHE_SECONDS,
    )
    return Sketch(png, described.attributes, cached=False)
