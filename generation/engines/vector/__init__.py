"""Weight-free engine: draws parametric avatars (robots, people, animals, mascots) with Pillow.

It is the default on a laptop, so it has to look good with no model at all. Everything comes
from `request.attributes` (the demand parser's output), `request.palette` and the seed; each
feature draws its variations from its own `random.Random(f"{seed}:{feature}")`, so changing one
attribute never reshuffles the others, and the same request always gives identical pixels.

Drawing happens in a 512-unit coordinate space on a canvas SUPERSAMPLE times larger, which is
then reduced with LANCZOS: Pillow's primitives are not anti-aliased, the reduction is.

Modules, in drawing order: `plan` (attributes → decisions), `backgrounds`, `robots` / `humans` /
`animals` / `mascots` (each returns `Anchors` saying where the face and accessories go), `faces`,
`accessories` and `headwear`; `canvas` and `colors` are the shared drawing helpers, `render`
composes the layers and `engine` wraps it all in the engine interface.
"""

from generation.engines.vector.engine import VectorEngine
from generation.engines.vector.plan import Plan, make_plan
from generation.engines.vector.render import render_avatar

__all__ = ["Plan", "VectorEngine", "make_plan", "render_avatar"]
