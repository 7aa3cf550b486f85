"""Helpers for the quality suite: an engine that spoils chosen seeds, vector avatars to test on."""

from __future__ import annotations

import pytest
from PIL import Image

from generation.engines.base import Candidate, RenderRequest
from generation.engines.vector import VectorEngine


def avatar(seed: int = 1, size: int = 128, **attributes) -> Image.Image:
    attrs = attributes or {"subject": "robot", "colors": ["blue"], "background": "plain"}
    request = RenderRequest(prompt="x", attributes=attrs, seeds=(seed,), width=size, height=size)
    return VectorEngine().generate(request)[0].image


def shifted(image: Image.Image, dx: int = 0, dy: int = 0) -> Image.Image:
    """The same drawing moved by (dx, dy) over its own corner colour: badly framed."""
    out = Image.new("RGB", image.size, image.getpixel((1, 1)))
    out.paste(image, (dx, dy))
    return out


class SpoilingEngine:
    """The real vector engine, except that chosen seeds come back spoiled: "blank" (flat black),
    "cut_off" (the drawing pushed off the top edge) or "flagged" (left out of the answer, as
    the diffusers engine does with images its safety checker flags)."""

    name = "vector"

    def __init__(self, spoil: dict[int, str] | None = None, spoil_all: str | None = None):
        self.inner = VectorEngine()
        self.spoil = dict(spoil or {})
        self.spoil_all = spoil_all
        self.calls: list[tuple[int, ...]] = []

    def generate(self, request: RenderRequest, progress=None) -> list[Candidate]:
        self.calls.append(tuple(request.seeds))
        out = []
        for c in self.inner.generate(request, progress=progress):
            how = self.spoil_all or self.spoil.get(c.seed)
            if how == "flagged":
                continue
            if how == "blank":
                c.image = Image.new("RGB", c.image.size, "black")
            elif how == "cut_off":
                c.image = shifted(c.image, dy=-c.image.height * 2 // 5)
            out.append(c)
        return out

    def describe(self) -> dict:
        return self.inner.describe()


@pytest.fixture
def spoiling_engine():
    """Install a SpoilingEngine as the worker's warm vector engine; returns it to configure."""
    from generation.engines import registry

    engine = SpoilingEngine()
    with registry._lock:
        previous = registry._engines.get(("vector",))
        registry._engines[("vector",)] = engine
    yield engine
    with registry._lock:
        if previous is None:
            registry._engines.pop(("vector",), None)
        else:
            registry._engines[("vector",)] = previous
