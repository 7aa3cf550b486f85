"""`VectorEngine`: the engine interface around `make_plan` and `render_avatar`."""

from __future__ import annotations

from typing import Any

from generation.engines.base import Candidate, EngineError, ProgressCallback, RenderRequest
from generation.engines.masks import composite
from generation.engines.vector.plan import make_plan
from generation.engines.vector.render import render_avatar
from generation.engines.vector.variations import vary_plan

VERSION = "1.0"
MIN_SIZE, MAX_SIZE = 16, 2048


class VectorEngine:
    """Parametric avatars drawn on the CPU; no weights, no GPU."""

    name = "vector"

    def generate(
        self, request: RenderRequest, progress: ProgressCallback | None = None
    ) -> list[Candidate]:
        size = max(request.width, request.height)
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise EngineError(
                f"Image size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got "
                f"{request.width}x{request.height}.",
                code="invalid_size",
            )
        attributes = dict(request.attributes or {})
        palette = tuple(request.palette)
        candidates = []
        for i, seed in enumerate(request.seeds):
            if request.mode == "img2img":
                plan = vary_plan(attributes, palette, seed, float(request.strength or 0.0))
            else:
                plan = make_plan(attributes, palette, seed)
            image = render_avatar(plan, size)
            if (request.width, request.height) != (size, size):
                # Non-square requests get the centre of the square drawing: the face stays whole.
                left, top = (size - request.width) // 2, (size - request.height) // 2
                image = image.crop((left, top, left + request.width, top + request.height))
            if request.mode == "inpaint":
                # The edited attributes drawn at the parent's seed, kept only inside the mask.
                image = composite(image, request.init_image, request.mask_image)
            metadata = {
                **self.describe(),
                "seed": seed,
                "attributes": attributes,
                "palette": list(palette),
                "width": request.width,
                "height": request.height,
                "mode": request.mode,
                "strength": request.strength,
                "init_hash": request.init_hash,
                "mask_hash": request.mask_hash,
            }
            candidates.append(Candidate(index=i, seed=seed, image=image, metadata=metadata))
            if progress is not None:
                progress(i + 1, request.n)
        return candidates

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "version": VERSION}
